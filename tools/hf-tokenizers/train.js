// Hugging Face's WordPiece trainer on text files (BertNormalizer without lowercasing, BertPreTokenizer), for
// comparing vocabulary quality and training time with `hunmin vocab`. The Node binding exposes only the default
// trainer: vocabulary 30000, no minimum frequency, no alphabet limit, no special tokens ([UNK] is appended).
//   node tools/hf-tokenizers/train.js OUTPUT_DIR FILE...
const fs = require('fs');
const path = require('path');
const { Tokenizer, WordPiece, bertNormalizer, bertPreTokenizer } = require('tokenizers');

const [outDir, ...files] = process.argv.slice(2);
const tokenizer = new Tokenizer(WordPiece.empty());
tokenizer.setNormalizer(bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: false }));
tokenizer.setPreTokenizer(bertPreTokenizer());
const started = process.hrtime.bigint();
tokenizer.train(files);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const vocab = Object.entries(tokenizer.getVocab()).sort((a, b) => a[1] - b[1]).map((e) => e[0]);
if (!vocab.includes('[UNK]')) vocab.push('[UNK]');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'vocab.txt'), vocab.join('\n') + '\n');
console.error(`trained ${vocab.length} tokens in ${seconds.toFixed(1)} s`);
