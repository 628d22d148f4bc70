package dev.vouch.evidence.cima;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.vouch.core.crypto.HashAlg;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The container measurement policy, the YAML of the continuous-attestation seed document:
 *
 * <pre>
 * backend: ima
 * hashAlgorithm: sha256          # sha1 | sha256 | sha384 | sha512: the bank the registers feed
 * measure:
 *   system:
 *     withParameter: true        # a process is measured as H(path \0 args), else H(path)
 *     processes: [/usr/bin/containerd, ...]
 *   container:
 *     isolated: true             # a container sees only its own pod's entries
 *   kubernetes:
 *     withParameter: true
 *     pods: [kube-apiserver, ...]
 * </pre>
 *
 * Unknown keys, duplicate keys, wrong types and unknown values are refused by {@link #parse} with a
 * {@link Invalid} naming the line and the key. Immutable.
 *
 * @param backend always {@code ima}
 * @param hashAlgorithm the algorithm of the registers; must equal the list's template hash
 * @param measure what is measured
 */
public record MeasurementPolicy(Backend backend, Algorithm hashAlgorithm, Measure measure) {

  /** The measurement backends; only the kernel's IMA list today. */
  public enum Backend {
    ima
  }

  /** The register algorithms a policy may name (the names the YAML uses). */
  public enum Algorithm {
    sha1(HashAlg.SHA1),
    sha256(HashAlg.SHA256),
    sha384(HashAlg.SHA384),
    sha512(HashAlg.SHA512);

    private final HashAlg alg;

    Algorithm(HashAlg alg) {
      this.alg = alg;
    }

    public HashAlg hashAlg() {
      return alg;
    }
  }

  /** {@code measure}: each part may be left out. */
  public record Measure(
      SystemMeasure system, ContainerMeasure container, KubernetesMeasure kubernetes) {
    public Measure {
      system = system == null ? new SystemMeasure(false, List.of()) : system;
      container = container == null ? new ContainerMeasure(false) : container;
      kubernetes = kubernetes == null ? new KubernetesMeasure(false, List.of()) : kubernetes;
    }
  }

  /**
   * {@code measure.system}: the host processes of the baseline, in policy order. An entry is a
   * path, optionally followed by a space and its arguments.
   */
  public record SystemMeasure(Boolean withParameter, List<String> processes) {
    public SystemMeasure {
      withParameter = Boolean.TRUE.equals(withParameter);
      processes = processes == null ? List.of() : List.copyOf(processes);
    }
  }

  /** {@code measure.container}. */
  public record ContainerMeasure(Boolean isolated) {
    public ContainerMeasure {
      isolated = Boolean.TRUE.equals(isolated);
    }
  }

  /** {@code measure.kubernetes}: pods (by name) the agent measures. */
  public record KubernetesMeasure(Boolean withParameter, List<String> pods) {
    public KubernetesMeasure {
      withParameter = Boolean.TRUE.equals(withParameter);
      pods = pods == null ? List.of() : List.copyOf(pods);
    }
  }

  public MeasurementPolicy {
    measure = measure == null ? new Measure(null, null, null) : measure;
  }

  /** A policy that fails validation; the message names the line and key when there is one. */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message);
    }
  }

  private static final ObjectMapper YAML =
      new ObjectMapper(YAMLFactory.builder().build())
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS);

  /** Parses and validates a policy document. */
  public static MeasurementPolicy parse(byte[] yaml) throws Invalid {
    String text = new String(yaml, StandardCharsets.UTF_8);
    MeasurementPolicy p;
    try {
      p = YAML.readValue(text, MeasurementPolicy.class);
    } catch (UnrecognizedPropertyException e) {
      throw new Invalid(
          at(text, e)
              + "unknown key '"
              + path(e)
              + "' (known here: "
              + e.getKnownPropertyIds().stream()
                  .map(Object::toString)
                  .sorted()
                  .collect(Collectors.joining(", "))
              + ")");
    } catch (JsonMappingException e) {
      throw new Invalid(at(text, e) + "key '" + path(e) + "': " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new Invalid(at(e.getLocation()) + e.getOriginalMessage());
    }
    if (p == null) {
      throw new Invalid("empty policy document");
    }
    if (p.backend() == null) {
      throw new Invalid("missing key 'backend' (ima)");
    }
    if (p.hashAlgorithm() == null) {
      throw new Invalid("missing key 'hashAlgorithm' (sha1, sha256, sha384 or sha512)");
    }
    int i = 0;
    for (String proc : p.measure().system().processes()) {
      i++;
      if (proc == null || proc.isBlank() || !proc.startsWith("/")) {
        throw new Invalid(
            "key 'measure.system.processes' entry "
                + i
                + ": '"
                + proc
                + "' is not an absolute path");
      }
    }
    return p;
  }

  /**
   * The baseline every pod and container register starts from: zero, extended in policy order with
   * each system process measured as {@code H(path)}, or {@code H(path \0 args)} when {@code
   * withParameter} is true and the entry has arguments.
   */
  public byte[] baseline() {
    HashAlg alg = hashAlgorithm.hashAlg();
    VirtualRegister r = VirtualRegister.zero(alg);
    for (String proc : measure.system().processes()) {
      r.extend(alg.digest(processMeasurement(proc, measure.system().withParameter())));
    }
    return r.value();
  }

  /** The bytes measured for one process entry ({@code path} or {@code path \0 args}). */
  static byte[] processMeasurement(String entry, boolean withParameter) {
    String e = entry.strip();
    int sp = e.indexOf(' ');
    String path = sp < 0 ? e : e.substring(0, sp);
    String args = sp < 0 ? "" : e.substring(sp + 1).strip();
    String measured = withParameter && !args.isEmpty() ? path + "\0" + args : path;
    return measured.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The line of the key a mapping error names. Jackson's own location is where the parser stopped,
   * often the line after the key, so the key's line is looked up by walking the document.
   */
  private static String at(String text, JsonMappingException e) {
    String want = path(e);
    try (JsonParser jp = YAML.getFactory().createParser(text)) {
      java.util.ArrayDeque<String> stack = new java.util.ArrayDeque<>();
      JsonToken t;
      while ((t = jp.nextToken()) != null) {
        if (t == JsonToken.FIELD_NAME) {
          String key = String.join(".", stack.reversed());
          key = key.isEmpty() ? jp.currentName() : key + "." + jp.currentName();
          if (key.equals(want)) {
            return "line " + jp.currentTokenLocation().getLineNr() + ": ";
          }
          JsonToken v = jp.nextToken();
          if (v == JsonToken.START_OBJECT) {
            stack.push(jp.currentName());
          } else if (v == JsonToken.START_ARRAY) {
            jp.skipChildren();
          }
        } else if (t == JsonToken.END_OBJECT && !stack.isEmpty()) {
          stack.pop();
        }
      }
    } catch (java.io.IOException io) {
      // fall back to the parser's location below
    }
    return at(e.getLocation());
  }

  private static String at(JsonLocation loc) {
    return loc == null || loc.getLineNr() < 1 ? "" : "line " + loc.getLineNr() + ": ";
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }
}
