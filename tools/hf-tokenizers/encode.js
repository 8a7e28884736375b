// Hugging Face tokenizers as the reference: one output line per input line, the space-separated ids without
// special tokens (add_special_tokens=False), an empty line for an empty input line. Lines end at '\n' only.
//   node tools/hf-tokenizers/encode.js TOKENIZER_JSON INPUT OUTPUT
// Prints "lines tokens seconds tokens_per_second" (encodeBatch time only) on standard error.
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [tokenizerFile, input, output] = process.argv.slice(2);
  const tokenizer = Tokenizer.fromFile(tokenizerFile);
  const lines = fs.readFileSync(input, 'utf8').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const out = [];
  let tokens = 0;
  let seconds = 0;
  for (let i = 0; i < lines.length; i += 10000) {
    const batch = lines.slice(i, i + 10000);
    const started = process.hrtime.bigint();
    const encodings = await tokenizer.encodeBatch(batch, { addSpecialTokens: false });
    seconds += Number(process.hrtime.bigint() - started) / 1e9;
    for (const e of encodings) {
      const ids = e.getIds();
      tokens += ids.length;
      out.push(ids.join(' '));
    }
  }
  fs.writeFileSync(output, out.length ? out.join('\n') + '\n' : '');
  console.error(`${lines.length} ${tokens} ${seconds.toFixed(3)} ${Math.round(tokens / seconds)}`);
}
main().catch((e) => { console.error(e.message || e); process.exit(1); });
