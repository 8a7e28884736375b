package dev.hunmin.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors format Hugging Face loads (no pickle, no code): an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}} padded with spaces to 8 bytes,
 * then the tensors' little-endian bytes, contiguous, offsets relative to the end of the header. Float32 only, which
 * is what Hunmin writes; reading also accepts F16 and BF16 (widened to float).
 */
public final class SafeTensors {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SafeTensors() {}

  /** A float tensor: its shape and its values in row-major order. */
  public record Tensor(long[] shape, float[] values) {
    public Tensor {
      long n = 1;
      for (long d : shape) n *= d;
      if (n != values.length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, not " + values.length);
    }
  }

  /** Writes tensors in name order (as Hugging Face does); metadata is free text such as {"format": "pt"}. */
  public static void write(Map<String, Tensor> tensors, Map<String, String> metadata, OutputStream out) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    Map<String, Tensor> sorted = new TreeMap<>(tensors);
    long offset = 0;
    for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", "F32");
      var shape = t.putArray("shape");
      for (long d : e.getValue().shape()) shape.add(d);
      long bytes = 4L * e.getValue().values().length;
      t.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    byte[] headerBytes = Arrays.copyOf(json, padded);
    Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
    out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
    out.write(headerBytes);
    ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (Tensor t : sorted.values()) {
      for (float v : t.values()) {
        if (!chunk.hasRemaining()) flush(chunk, out);
        chunk.putFloat(v);
      }
    }
    flush(chunk, out);
  }

  private static void flush(ByteBuffer chunk, OutputStream out) throws IOException {
    out.write(chunk.array(), 0, chunk.position());
    chunk.clear();
  }

  /** Reads every tensor, in header order; a malformed file is an error naming what is wrong. */
  public static Map<String, Tensor> read(InputStream in) throws IOException {
    Header header = header(in);
    byte[] data = in.readAllBytes();
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.json().fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) continue;
      out.put(e.getKey(), tensor(e.getKey(), e.getValue(), data));
    }
    return out;
  }

  /**
   * The file length its header describes (the length field, the header, the data up to the last tensor's end),
   * read without the weights: a truncated copy is found by comparing it with the file's length.
   */
  public static long describedLength(InputStream in) throws IOException {
    Header header = header(in);
    long end = 0;
    for (JsonNode tensor : header.json()) end = Math.max(end, tensor.path("data_offsets").path(1).asLong(0));
    return 8 + header.length() + end;
  }

  private record Header(JsonNode json, long length) {}

  /** The JSON header and its length in bytes, read past the 8-byte length field. */
  private static Header header(InputStream in) throws IOException {
    byte[] lengthBytes = in.readNBytes(8);
    if (lengthBytes.length < 8) throw new HunminException("not a safetensors file: shorter than its header length");
    long headerLength = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLength <= 0 || headerLength > 100_000_000) throw new HunminException("not a safetensors file: header length " + headerLength);
    byte[] headerBytes = in.readNBytes((int) headerLength);
    if (headerBytes.length < headerLength) throw new HunminException("not a safetensors file: the header is cut short");
    JsonNode header;
    try {
      header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new HunminException("not a safetensors file: its header is no JSON (" + e.getOriginalMessage() + ")");
    }
    return new Header(header, headerLength);
  }

  /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
  static float halfToFloat(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13)); // inf, NaN
    if (exponent == 0) {
      float subnormal = mantissa * 0x1p-24f;
      return sign == 0 ? subnormal : -subnormal;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  private static Tensor tensor(String name, JsonNode spec, byte[] data) {
    long[] shape = new long[spec.path("shape").size()];
    long n = 1;
    for (int i = 0; i < shape.length; i++) n *= shape[i] = spec.path("shape").get(i).asLong();
    long begin = spec.path("data_offsets").path(0).asLong(-1);
    long end = spec.path("data_offsets").path(1).asLong(-1);
    String dtype = spec.path("dtype").asText();
    int width = switch (dtype) {
      case "F32" -> 4;
      case "F16", "BF16" -> 2;
      default -> throw new HunminException("tensor " + name + " has dtype " + dtype + " (F32, F16, BF16 are read)");
    };
    if (begin < 0 || end > data.length || end - begin != n * width) {
      throw new HunminException("tensor " + name + ": data_offsets [" + begin + ", " + end + "] do not fit its shape and the file");
    }
    ByteBuffer b = ByteBuffer.wrap(data, (int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[(int) n];
    for (int i = 0; i < values.length; i++) {
      values[i] = switch (dtype) {
        case "F32" -> b.getFloat();
        case "BF16" -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
        default -> halfToFloat(b.getShort());
      };
    }
    return new Tensor(shape, values);
  }
}
