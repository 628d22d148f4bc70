package dev.vouch.evidence.cca;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Strict CBOR (RFC 8949) decoding for attestation tokens, over Jackson's streaming CBOR parser.
 *
 * <p>Jackson decodes the content; this class adds the checks a signed-token parser needs and
 * Jackson does not make: each item's initial bytes are read again at the offset Jackson reports, so
 * that indefinite lengths, reserved additional-information values and non-shortest heads are
 * refused ({@link Failure#MALFORMED}), integer and text map keys stay distinct (Jackson turns both
 * into names), keys must be integers or text and unique, tags are kept on the item they belong to,
 * and the input must hold exactly one item with nothing after it. Input that ends early is {@link
 * Failure#TRUNCATED}. Floats, null, undefined, other simple values and integers beyond 64-bit
 * signed range are {@link Failure#UNSUPPORTED}. Nesting is limited to {@value #MAX_DEPTH} levels.
 *
 * <p>Thread-safe; allocation is bounded by the input length (lengths are checked against the
 * remaining input before Jackson reads content).
 */
public final class Cbor {
  /** Tokens nest COSE_Sign1 in a collection map with claim arrays of maps: 16 is ample. */
  public static final int MAX_DEPTH = 16;

  private static final CBORFactory FACTORY =
      CBORFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder().maxNestingDepth(64).maxNameLength(1024).build())
          .build();

  private Cbor() {}

  /**
   * Decodes exactly one CBOR item filling {@code input}.
   *
   * @param what names the input in failure messages
   * @throws VerificationException TRUNCATED, MALFORMED or UNSUPPORTED as described above
   */
  public static CborValue decode(byte[] input, String what) throws VerificationException {
    if (input.length == 0) {
      throw new VerificationException(Failure.TRUNCATED, what + " is empty");
    }
    try (CBORParser p = (CBORParser) FACTORY.createParser(input)) {
      Reader r = new Reader(p, input, what);
      CborValue v = r.item(p.nextToken(), 0);
      if (p.nextToken() != null || p.currentLocation().getByteOffset() != input.length) {
        throw new VerificationException(Failure.MALFORMED, what + " has bytes after its CBOR item");
      }
      return v;
    } catch (JsonEOFException e) {
      throw new VerificationException(Failure.TRUNCATED, what + " ends early", e);
    } catch (IOException | RuntimeException e) {
      if (String.valueOf(e.getMessage()).contains("end-of-input")) {
        throw new VerificationException(Failure.TRUNCATED, what + " ends early", e);
      }
      // Jackson reports bad UTF-8, stray break bytes and the like as parse exceptions
      throw new VerificationException(
          Failure.MALFORMED, what + " is not well-formed CBOR: " + firstLine(e), e);
    }
  }

  private static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /** The initial bytes of one item: its tags and its own head. */
  private record Head(List<Long> tags, int major, int info, long argument, int end) {}

  private static final class Reader {
    private final CBORParser p;
    private final byte[] in;
    private final String what;

    Reader(CBORParser p, byte[] in, String what) {
      this.p = p;
      this.in = in;
      this.what = what;
    }

    CborValue item(JsonToken t, int depth) throws IOException, VerificationException {
      if (t == null) {
        throw new VerificationException(Failure.TRUNCATED, what + " ends before an item");
      }
      if (depth > MAX_DEPTH) {
        throw new VerificationException(
            Failure.MALFORMED, what + " nests deeper than " + MAX_DEPTH + " levels");
      }
      Head h = head(tokenOffset());
      CborValue v =
          switch (t) {
            case START_OBJECT -> {
              expectMajor(h, 5, t);
              yield map(h, depth);
            }
            case START_ARRAY -> {
              expectMajor(h, 4, t);
              List<CborValue> items = new ArrayList<>();
              JsonToken n;
              while ((n = p.nextToken()) != JsonToken.END_ARRAY) {
                items.add(item(n, depth + 1));
              }
              yield new CborValue.Array(items);
            }
            case VALUE_EMBEDDED_OBJECT -> {
              expectMajor(h, 2, t);
              requireAvailable(h);
              yield new CborValue.Bytes(p.getBinaryValue());
            }
            case VALUE_STRING -> {
              expectMajor(h, 3, t);
              requireAvailable(h);
              yield new CborValue.Text(p.getText());
            }
            case VALUE_NUMBER_INT -> {
              if (h.major() > 1 || p.getNumberType() == CBORParser.NumberType.BIG_INTEGER) {
                throw new VerificationException(
                    Failure.UNSUPPORTED, what + " holds an integer beyond 64 bits");
              }
              yield new CborValue.Int(p.getLongValue());
            }
            case VALUE_TRUE, VALUE_FALSE -> {
              expectMajor(h, 7, t);
              yield new CborValue.Bool(t == JsonToken.VALUE_TRUE);
            }
            default ->
                throw new VerificationException(
                    Failure.UNSUPPORTED,
                    what + " holds a CBOR item tokens do not use (major type " + h.major() + ")");
          };
      for (int i = h.tags().size() - 1; i >= 0; i--) {
        v = new CborValue.Tagged(h.tags().get(i), v);
      }
      return v;
    }

    private CborValue map(Head h, int depth) throws IOException, VerificationException {
      LinkedHashMap<CborValue, CborValue> entries = new LinkedHashMap<>();
      JsonToken n;
      while ((n = p.nextToken()) != JsonToken.END_OBJECT) {
        if (n != JsonToken.FIELD_NAME) {
          throw new VerificationException(Failure.MALFORMED, what + " has a bad map key");
        }
        Head k = head(tokenOffset());
        CborValue key;
        if (!k.tags().isEmpty()) {
          throw new VerificationException(Failure.MALFORMED, what + " has a tagged map key");
        } else if (k.major() == 0 || k.major() == 1) {
          key = new CborValue.Int(integerKey(k));
        } else if (k.major() == 3) {
          key = new CborValue.Text(p.currentName());
        } else {
          throw new VerificationException(
              Failure.MALFORMED, what + " has a map key that is neither integer nor text");
        }
        CborValue value = item(p.nextToken(), depth + 1);
        if (entries.putIfAbsent(key, value) != null) {
          throw new VerificationException(
              Failure.MALFORMED, what + " has the map key " + key + " twice");
        }
      }
      return new CborValue.Map(entries);
    }

    private long integerKey(Head k) throws VerificationException {
      // the argument is the key's magnitude; -1 - n for negative keys must still fit a long
      if (k.argument() < 0) {
        throw new VerificationException(
            Failure.UNSUPPORTED, what + " has a map key beyond 64 bits");
      }
      return k.major() == 0 ? k.argument() : -1 - k.argument();
    }

    private int tokenOffset() throws VerificationException {
      long off = p.currentTokenLocation().getByteOffset();
      if (off < 0 || off >= in.length) {
        throw new VerificationException(Failure.MALFORMED, what + ": lost the item offset");
      }
      return (int) off;
    }

    private void expectMajor(Head h, int major, JsonToken t) throws VerificationException {
      if (h.major() != major) {
        throw new VerificationException(
            Failure.UNSUPPORTED,
            what + ": item of major type " + h.major() + " decoded as " + t + " is not supported");
      }
    }

    private void requireAvailable(Head h) throws VerificationException {
      if (h.argument() < 0 || h.argument() > in.length - h.end()) {
        throw new VerificationException(
            Failure.TRUNCATED, what + ": a string of " + h.argument() + " bytes does not fit");
      }
    }

    /**
     * Reads the tags and head at {@code off}. The argument is returned as an unsigned value in a
     * long (negative when it exceeds 2^63-1).
     */
    private Head head(int off) throws VerificationException {
      List<Long> tags = new ArrayList<>(1);
      int pos = off;
      while (true) {
        if (pos >= in.length) {
          throw new VerificationException(Failure.TRUNCATED, what + " ends inside a head");
        }
        int initial = in[pos++] & 0xff;
        int major = initial >>> 5;
        int info = initial & 0x1f;
        long arg;
        if (info < 24) {
          arg = info;
        } else if (info <= 27) {
          int n = 1 << (info - 24);
          if (pos + n > in.length) {
            throw new VerificationException(Failure.TRUNCATED, what + " ends inside a head");
          }
          arg = 0;
          for (int i = 0; i < n; i++) {
            arg = (arg << 8) | (in[pos++] & 0xff);
          }
          // shortest form only: a value that fits the next smaller head must use it
          long min = info == 24 ? 24 : 1L << (8 * (n / 2));
          if (major != 7 && Long.compareUnsigned(arg, min) < 0) {
            throw new VerificationException(
                Failure.MALFORMED, what + " has a head longer than its value needs");
          }
        } else if (info == 31) {
          throw new VerificationException(
              Failure.MALFORMED, what + " uses an indefinite length, which tokens must not");
        } else {
          throw new VerificationException(
              Failure.MALFORMED, what + " uses reserved additional information " + info);
        }
        if (major == 6) {
          tags.add(arg);
          if (tags.size() > MAX_DEPTH) {
            throw new VerificationException(Failure.MALFORMED, what + " stacks too many tags");
          }
          continue;
        }
        return new Head(List.copyOf(tags), major, info, arg, pos);
      }
    }
  }
}
