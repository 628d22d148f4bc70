package dev.vouch.evidence.cca;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One decoded CBOR data item, restricted to what attestation tokens use: integers that fit a {@code
 * long}, byte and text strings, arrays, maps with integer or text keys, tags and booleans. {@link
 * Cbor#decode} produces these; anything else (floats, null, undefined, big numbers) is refused
 * there.
 *
 * <p>The typed accessors ({@link #asBytes}, {@link #asMap}, ...) throw {@link Failure#MALFORMED}
 * naming the field when the item has another type, so token parsers read fields in one line and
 * never see a {@code ClassCastException}.
 */
public sealed interface CborValue
    permits CborValue.Int,
        CborValue.Bytes,
        CborValue.Text,
        CborValue.Array,
        CborValue.Map,
        CborValue.Tagged,
        CborValue.Bool {

  /** A major type 0 or 1 integer. */
  record Int(long value) implements CborValue {}

  /** A byte string; compared by content. */
  record Bytes(byte[] value) implements CborValue {
    public Bytes {
      value = value.clone();
    }

    @Override
    public byte[] value() {
      return value.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Bytes b && Arrays.equals(value, b.value);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return "h'" + Hex.encode(value) + "'";
    }
  }

  /** A text string. */
  record Text(String value) implements CborValue {
    public Text {
      Objects.requireNonNull(value);
    }
  }

  /** An array, in order. */
  record Array(List<CborValue> items) implements CborValue {
    public Array {
      items = List.copyOf(items);
    }
  }

  /** A map in encoding order; keys are {@link Int} or {@link Text} and unique. */
  record Map(java.util.Map<CborValue, CborValue> entries) implements CborValue {
    public Map {
      entries = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(entries));
    }

    /** The value under an integer key, if present. */
    public java.util.Optional<CborValue> get(long key) {
      return java.util.Optional.ofNullable(entries.get(new Int(key)));
    }

    /** The value under an integer key; {@link Failure#MALFORMED} naming {@code what} if absent. */
    public CborValue require(long key, String what) throws VerificationException {
      CborValue v = entries.get(new Int(key));
      if (v == null) {
        throw new VerificationException(Failure.MALFORMED, what + " (key " + key + ") is missing");
      }
      return v;
    }
  }

  /** A tagged item. */
  record Tagged(long tag, CborValue value) implements CborValue {}

  /** {@code true} or {@code false}. */
  record Bool(boolean value) implements CborValue {}

  /** This item as a byte string. */
  default byte[] asBytes(String what) throws VerificationException {
    if (this instanceof Bytes b) {
      return b.value();
    }
    throw wrongType(what, "a byte string");
  }

  /** This item as a text string. */
  default String asText(String what) throws VerificationException {
    if (this instanceof Text t) {
      return t.value();
    }
    throw wrongType(what, "a text string");
  }

  /** This item as an integer. */
  default long asLong(String what) throws VerificationException {
    if (this instanceof Int i) {
      return i.value();
    }
    throw wrongType(what, "an integer");
  }

  /** This item as an array. */
  default List<CborValue> asArray(String what) throws VerificationException {
    if (this instanceof Array a) {
      return a.items();
    }
    throw wrongType(what, "an array");
  }

  /** This item as a map. */
  default Map asMap(String what) throws VerificationException {
    if (this instanceof Map m) {
      return m;
    }
    throw wrongType(what, "a map");
  }

  /** The content of this item, which must carry exactly the tag {@code tag}. */
  default CborValue untag(long tag, String what) throws VerificationException {
    if (this instanceof Tagged t && t.tag() == tag) {
      return t.value();
    }
    throw new VerificationException(
        Failure.MALFORMED,
        what
            + " must carry CBOR tag "
            + tag
            + (this instanceof Tagged t ? " but carries tag " + t.tag() : " but is untagged"));
  }

  private VerificationException wrongType(String what, String expected) {
    String actual =
        switch (this) {
          case Int i -> "an integer";
          case Bytes b -> "a byte string";
          case Text t -> "a text string";
          case Array a -> "an array";
          case Map m -> "a map";
          case Tagged t -> "tagged (" + t.tag() + ")";
          case Bool b -> "a boolean";
        };
    return new VerificationException(
        Failure.MALFORMED, what + " must be " + expected + " but is " + actual);
  }
}
