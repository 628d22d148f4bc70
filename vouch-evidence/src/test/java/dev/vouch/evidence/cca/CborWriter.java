package dev.vouch.evidence.cca;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal CBOR encoder for building test tokens: Long/Integer, byte[], String, Boolean, List, Map
 * (in insertion order) and {@link Tag}. Shortest heads, definite lengths.
 */
final class CborWriter {
  private CborWriter() {}

  record Tag(long tag, Object value) {}

  static Map<Object, Object> map(Object... keysAndValues) {
    Map<Object, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  static byte[] encode(Object value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(out, value);
    return out.toByteArray();
  }

  private static void write(ByteArrayOutputStream out, Object v) {
    switch (v) {
      case Integer i -> write(out, (long) i);
      case Long l -> {
        if (l >= 0) {
          head(out, 0, l);
        } else {
          head(out, 1, -1 - l);
        }
      }
      case byte[] b -> {
        head(out, 2, b.length);
        out.writeBytes(b);
      }
      case String s -> {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        head(out, 3, b.length);
        out.writeBytes(b);
      }
      case Boolean b -> out.write(b ? 0xf5 : 0xf4);
      case List<?> l -> {
        head(out, 4, l.size());
        l.forEach(x -> write(out, x));
      }
      case Map<?, ?> m -> {
        head(out, 5, m.size());
        m.forEach(
            (k, x) -> {
              write(out, k);
              write(out, x);
            });
      }
      case Tag t -> {
        head(out, 6, t.tag());
        write(out, t.value());
      }
      default -> throw new IllegalArgumentException("cannot encode " + v.getClass());
    }
  }

  private static void head(ByteArrayOutputStream out, int major, long arg) {
    int m = major << 5;
    if (arg < 24) {
      out.write(m | (int) arg);
    } else if (arg < 0x100) {
      out.write(m | 24);
      out.write((int) arg);
    } else if (arg < 0x10000) {
      out.write(m | 25);
      out.write((int) (arg >>> 8));
      out.write((int) arg);
    } else if (arg < 0x100000000L) {
      out.write(m | 26);
      for (int s = 24; s >= 0; s -= 8) {
        out.write((int) (arg >>> s));
      }
    } else {
      out.write(m | 27);
      for (int s = 56; s >= 0; s -= 8) {
        out.write((int) (arg >>> s));
      }
    }
  }
}
