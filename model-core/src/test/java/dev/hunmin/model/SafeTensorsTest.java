package dev.hunmin.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.util.HunminException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SafeTensorsTest {
  @Test
  void layoutFollowsTheFormat() throws Exception {
    Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
    tensors.put("bert.pooler.dense.bias", new SafeTensors.Tensor(new long[] {3}, new float[] {1, -2, 3.5f}));
    tensors.put("bert.embeddings.word_embeddings.weight", new SafeTensors.Tensor(new long[] {2, 2}, new float[] {0.5f, 0, -1, 2}));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SafeTensors.write(tensors, Map.of("format", "pt"), out);
    byte[] bytes = out.toByteArray();

    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8, "header padded to 8 bytes");
    JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
    assertEquals("pt", header.at("/__metadata__/format").asText());
    // names in sorted order, contiguous, offsets relative to the data section
    assertEquals("[0,16]", header.at("/bert.embeddings.word_embeddings.weight/data_offsets").toString());
    assertEquals("[16,28]", header.at("/bert.pooler.dense.bias/data_offsets").toString());
    assertEquals("F32", header.at("/bert.pooler.dense.bias/dtype").asText());
    assertEquals(8 + headerLength + 28, bytes.length);
    ByteBuffer data = ByteBuffer.wrap(bytes, (int) (8 + headerLength), 28).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0.5f, data.getFloat());

    Map<String, SafeTensors.Tensor> back = SafeTensors.read(new ByteArrayInputStream(bytes));
    for (String name : tensors.keySet()) {
      assertArrayEquals(tensors.get(name).shape(), back.get(name).shape());
      assertArrayEquals(tensors.get(name).values(), back.get(name).values());
    }
  }

  @Test
  void halfPrecisionWidens() {
    assertEquals(1.0f, SafeTensors.halfToFloat((short) 0x3c00));
    assertEquals(-2.0f, SafeTensors.halfToFloat((short) 0xc000));
    assertEquals(65504f, SafeTensors.halfToFloat((short) 0x7bff));
    assertEquals(0x1p-24f, SafeTensors.halfToFloat((short) 0x0001));
    assertTrue(Float.isInfinite(SafeTensors.halfToFloat((short) 0x7c00)));
  }

  @Test
  void malformedFilesAreClearErrors() {
    assertThrows(HunminException.class, () -> SafeTensors.read(new ByteArrayInputStream(new byte[] {1, 2})));
    byte[] bad = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).array();
    assertThrows(HunminException.class, () -> SafeTensors.read(new ByteArrayInputStream(bad)));
    String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}";
    byte[] file = concat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length()).array(),
        header.getBytes(StandardCharsets.UTF_8), new byte[8]);
    HunminException e = assertThrows(HunminException.class, () -> SafeTensors.read(new ByteArrayInputStream(file)));
    assertTrue(e.getMessage().contains("tensor w"), e.getMessage());
  }

  @Test
  void configRoundTripsThroughHuggingFaceJson() {
    BertConfig tiny = BertConfig.named("tiny", 20000, 512);
    assertEquals(2, tiny.numHiddenLayers());
    assertEquals(512, tiny.intermediateSize());
    String json = tiny.toJson();
    assertTrue(json.contains("\"model_type\" : \"bert\"") && json.contains("\"BertForPreTraining\""));
    assertEquals(tiny, BertConfig.fromJson(json));
    // klue/bert-base's config.json, abridged: fields it lacks take the defaults
    BertConfig klue = BertConfig.fromJson("{\"model_type\":\"bert\",\"vocab_size\":32000,\"hidden_size\":768,\"num_hidden_layers\":12}");
    assertEquals(32000, klue.vocabSize());
    assertEquals(64, klue.headSize());
    assertThrows(HunminException.class, () -> BertConfig.fromJson("{\"model_type\":\"roberta\",\"vocab_size\":5}"));
    assertThrows(HunminException.class, () -> BertConfig.named("huge", 10, 512));
  }

  private static byte[] concat(byte[]... parts) {
    byte[] out = new byte[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
