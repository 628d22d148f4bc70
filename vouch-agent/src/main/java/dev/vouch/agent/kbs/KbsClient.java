package dev.vouch.agent.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.RSADecrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.vouch.core.json.Jcs;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * A client of a KBS that speaks Trustee's protocol 0.4.0, written from the protocol document alone:
 * {@code POST /kbs/v0/auth} (Request → Challenge and the {@code kbs-session-id} cookie), {@code
 * POST /kbs/v0/attest} (evidence bound to the nonce and a fresh TEE key → attestation token),
 * {@code GET /kbs/v0/resource/<repository>/<type>/<tag>} (the resource as a flattened JWE, opened
 * with the TEE key's private half, which never leaves this object).
 *
 * <p>The binding: SHA-384 (or the hash the Challenge selects) of the RFC 8785 form of {@code
 * {"additional-evidence": "", "nonce": <nonce>, "tee-pubkey": <JWK>}}, handed to the {@link
 * EvidenceProvider}. Each handshake uses a new ephemeral key (EC P-256 with ECDH-ES+A256KW by
 * default, or RSA-3072 with RSA-OAEP-256). The session and token are kept and reused until a minute
 * before either expires; a 401 on a resource request triggers one new handshake. Thread-safe.
 */
public final class KbsClient {
  private static final Logger LOG = Logger.getLogger(KbsClient.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VERSION = "0.4.0";
  private static final String COOKIE = "kbs-session-id";
  private static final Duration MARGIN = Duration.ofSeconds(30);
  private static final int MAX_RESPONSE = 16 * 1024 * 1024;

  /** The TEE key kind generated for each handshake. */
  public enum KeyKind {
    EC_P256,
    RSA_3072
  }

  private final URI base;
  private final EvidenceProvider evidence;
  private final HttpClient http;
  private final Clock clock;
  private final KeyKind keyKind;

  private State state;

  /** What one successful handshake left: cookie, token, TEE key, and when they stop working. */
  private record State(String cookie, String token, JWK key, Instant usableUntil) {}

  public KbsClient(
      URI base, EvidenceProvider evidence, HttpClient http, Clock clock, KeyKind keyKind) {
    String s = base.toString();
    this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    this.evidence = evidence;
    this.http = http;
    this.clock = clock;
    this.keyKind = keyKind;
  }

  /** A client with an EC P-256 TEE key and a default HTTP client. */
  public static KbsClient create(URI base, EvidenceProvider evidence) {
    return new KbsClient(
        base,
        evidence,
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(),
        Clock.systemUTC(),
        KeyKind.EC_P256);
  }

  /** The current attestation token, attesting first when there is none or it is about to expire. */
  public synchronized String token() throws KbsException, EvidenceException {
    return current().token();
  }

  /** When the current token (or its session) stops being usable, if there is one. */
  public synchronized Optional<Instant> usableUntil() {
    return Optional.ofNullable(state).map(State::usableUntil);
  }

  /** Forgets the session and token, so that the next call attests again. */
  public synchronized void reset() {
    state = null;
  }

  /**
   * Fetches and decrypts a resource, attesting first when needed.
   *
   * @throws KbsException 401 (attestation failed or session gone, after one retry), 403 (policy),
   *     404, 400, or no answer
   * @throws EvidenceException when the attester cannot produce evidence
   */
  public byte[] getResource(String repository, String type, String tag)
      throws KbsException, EvidenceException {
    String path = "/kbs/v0/resource/" + repository + "/" + type + "/" + tag;
    State s;
    synchronized (this) {
      s = current();
    }
    HttpResponse<byte[]> r = send(get(path, s.cookie()));
    if (r.statusCode() == 401) {
      // the session may be gone (expiry, another replica's restart): one fresh handshake
      synchronized (this) {
        if (state == s) {
          state = null;
        }
        s = current();
      }
      r = send(get(path, s.cookie()));
    }
    if (r.statusCode() != 200) {
      throw error(r);
    }
    return decrypt(r.body(), s.key());
  }

  private State current() throws KbsException, EvidenceException {
    if (state == null || !clock.instant().plus(MARGIN).isBefore(state.usableUntil())) {
      state = handshake();
    }
    return state;
  }

  private State handshake() throws KbsException, EvidenceException {
    ObjectNode request = JSON.createObjectNode();
    request.put("version", VERSION);
    request.put("tee", evidence.tee());
    request
        .putObject("extra-params")
        .putArray("supported-hash-algorithms")
        .add("sha256")
        .add("sha384")
        .add("sha512");
    HttpResponse<byte[]> auth = send(post("/kbs/v0/auth", request, null));
    if (auth.statusCode() != 200) {
      throw error(auth);
    }
    String cookie = sessionCookie(auth);
    Instant sessionExpiry = sessionExpiry(auth);
    JsonNode challenge = parse(auth.body());
    String nonce = challenge.path("nonce").asText("");
    if (nonce.isEmpty()) {
      throw new KbsException(auth.statusCode(), "", "Challenge without a nonce");
    }
    String hash = selectedHash(challenge.get("extra-params"));

    JWK key = newKey();
    ObjectNode teePubkey = teePubkey(key);
    ObjectNode binding = JSON.createObjectNode();
    binding.put("additional-evidence", "");
    binding.put("nonce", nonce);
    binding.set("tee-pubkey", teePubkey);
    byte[] digest;
    try {
      digest = MessageDigest.getInstance(hash).digest(Jcs.canonicalize(binding));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + hash, e);
    }
    ObjectNode attestation = JSON.createObjectNode();
    ObjectNode runtime = attestation.putObject("runtime-data");
    runtime.put("nonce", nonce);
    runtime.set("tee-pubkey", teePubkey);
    ObjectNode teeEvidence = attestation.putObject("tee-evidence");
    teeEvidence.set("primary_evidence", evidence.evidence(digest));
    teeEvidence.put("additional_evidence", "");

    HttpResponse<byte[]> att = send(post("/kbs/v0/attest", attestation, cookie));
    if (att.statusCode() != 200) {
      throw error(att);
    }
    String token = parse(att.body()).path("token").asText("");
    if (token.isEmpty()) {
      throw new KbsException(att.statusCode(), "", "attest answered without a token");
    }
    Instant until = sessionExpiry;
    Optional<Instant> exp = tokenExpiry(token);
    if (exp.isPresent() && exp.get().isBefore(until)) {
      until = exp.get();
    }
    LOG.fine(() -> "attested to " + base + " as " + evidence.tee());
    return new State(cookie, token, key, until);
  }

  private JWK newKey() {
    try {
      return switch (keyKind) {
        case EC_P256 -> new ECKeyGenerator(Curve.P_256).generate();
        case RSA_3072 -> new RSAKeyGenerator(3072).generate();
      };
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate a TEE key", e);
    }
  }

  /** Exactly the members the protocol's TeePubKey has for the key type. */
  private static ObjectNode teePubkey(JWK key) {
    ObjectNode k = JSON.createObjectNode();
    if (key instanceof ECKey ec) {
      k.put("kty", "EC")
          .put("crv", ec.getCurve().getName())
          .put("alg", JWEAlgorithm.ECDH_ES_A256KW.getName())
          .put("x", ec.getX().toString())
          .put("y", ec.getY().toString());
    } else {
      RSAKey rsa = (RSAKey) key;
      k.put("kty", "RSA")
          .put("alg", JWEAlgorithm.RSA_OAEP_256.getName())
          .put("n", rsa.getModulus().toString())
          .put("e", rsa.getPublicExponent().toString());
    }
    return k;
  }

  private static String selectedHash(JsonNode extra) throws KbsException {
    String alg = "sha384";
    if (extra != null && extra.isObject() && extra.has("selected-hash-algorithm")) {
      alg = extra.get("selected-hash-algorithm").asText();
    }
    return switch (alg) {
      case "sha256" -> "SHA-256";
      case "sha384" -> "SHA-384";
      case "sha512" -> "SHA-512";
      default -> throw new KbsException(200, "", "the KBS selected an unsupported hash " + alg);
    };
  }

  private static byte[] decrypt(byte[] body, JWK key) throws KbsException {
    try {
      JsonNode j = parse(body);
      for (String m : new String[] {"protected", "encrypted_key", "iv", "ciphertext", "tag"}) {
        if (!j.path(m).isTextual()) {
          throw new KbsException(200, "", "the resource response is not a flattened JWE");
        }
      }
      JWEObject jwe =
          JWEObject.parse(
              String.join(
                  ".",
                  j.get("protected").asText(),
                  j.get("encrypted_key").asText(),
                  j.get("iv").asText(),
                  j.get("ciphertext").asText(),
                  j.get("tag").asText()));
      if (!EncryptionMethod.A256GCM.equals(jwe.getHeader().getEncryptionMethod())) {
        throw new KbsException(200, "", "the resource is not encrypted with A256GCM");
      }
      if (key instanceof ECKey ec) {
        if (!JWEAlgorithm.ECDH_ES_A256KW.equals(jwe.getHeader().getAlgorithm())) {
          throw new KbsException(
              200, "", "unexpected JWE algorithm " + jwe.getHeader().getAlgorithm());
        }
        jwe.decrypt(new ECDHDecrypter(ec));
      } else {
        if (!JWEAlgorithm.RSA_OAEP_256.equals(jwe.getHeader().getAlgorithm())) {
          throw new KbsException(
              200, "", "unexpected JWE algorithm " + jwe.getHeader().getAlgorithm());
        }
        jwe.decrypt(new RSADecrypter((RSAKey) key));
      }
      return jwe.getPayload().toBytes();
    } catch (ParseException | JOSEException e) {
      throw new KbsException(200, "", "cannot decrypt the resource: " + e.getMessage());
    }
  }

  private static Optional<Instant> tokenExpiry(String token) {
    String[] parts = token.split("\\.");
    if (parts.length != 3) {
      return Optional.empty();
    }
    try {
      JsonNode exp = JSON.readTree(Base64.getUrlDecoder().decode(parts[1])).get("exp");
      return exp != null && exp.canConvertToLong()
          ? Optional.of(Instant.ofEpochSecond(exp.longValue()))
          : Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static String sessionCookie(HttpResponse<?> r) throws KbsException {
    for (String h : r.headers().allValues("set-cookie")) {
      String first = h.split(";", 2)[0].trim();
      if (first.startsWith(COOKIE + "=")) {
        return first;
      }
    }
    throw new KbsException(r.statusCode(), "", "the KBS set no " + COOKIE + " cookie");
  }

  private Instant sessionExpiry(HttpResponse<?> r) {
    for (String h : r.headers().allValues("set-cookie")) {
      for (String attr : h.split(";")) {
        String a = attr.trim();
        if (a.regionMatches(true, 0, "Max-Age=", 0, 8)) {
          try {
            return clock.instant().plusSeconds(Long.parseLong(a.substring(8)));
          } catch (NumberFormatException e) {
            // fall back to the protocol's default below
          }
        }
      }
    }
    // Trustee's default session lifetime
    return clock.instant().plus(Duration.ofMinutes(5));
  }

  private HttpRequest post(String path, JsonNode body, String cookie) throws KbsException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json");
    try {
      b.POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
    } catch (IOException e) {
      throw new KbsException("cannot encode the request", e);
    }
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    return b.build();
  }

  private HttpRequest get(String path, String cookie) {
    return HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(60))
        .header("Cookie", cookie)
        .GET()
        .build();
  }

  private HttpResponse<byte[]> send(HttpRequest req) throws KbsException {
    try {
      HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
      if (r.body().length > MAX_RESPONSE) {
        throw new KbsException(r.statusCode(), "", "response larger than " + MAX_RESPONSE);
      }
      return r;
    } catch (IOException e) {
      throw new KbsException("KBS at " + base + " unreachable: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KbsException("interrupted", e);
    }
  }

  private static JsonNode parse(byte[] body) throws KbsException {
    try {
      JsonNode n = JSON.readTree(body);
      if (n == null || !n.isObject()) {
        throw new KbsException(200, "", "the KBS answered with no JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new KbsException(200, "", "the KBS answered with invalid JSON");
    }
  }

  private static KbsException error(HttpResponse<byte[]> r) {
    String type = "";
    String detail = "HTTP " + r.statusCode();
    try {
      JsonNode n = JSON.readTree(r.body());
      if (n != null && n.isObject()) {
        type = n.path("type").asText("");
        detail = n.path("detail").asText(detail);
      }
    } catch (IOException e) {
      // not an error document: keep the status line
    }
    return new KbsException(r.statusCode(), type, detail);
  }
}
