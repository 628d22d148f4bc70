package dev.vouch.server.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;

/**
 * A KBS client written from Trustee's protocol document only (kbs_attestation_protocol.md, KBS
 * protocol 0.4.0), sharing no class with the server: JSON by hand, the runtime data's canonical
 * form written out in sorted member order, cookie handled by hand. Sample evidence.
 */
final class DocClient {
  static final ObjectMapper JSON = new ObjectMapper();
  final HttpClient http;
  final String base;
  String cookie;
  String nonce;
  JWK key;

  DocClient(String base) {
    this(HttpClient.newHttpClient(), base);
  }

  /** A client sending through {@code http} (e.g. one bound to another local address). */
  DocClient(HttpClient http, String base) {
    this.http = http;
    this.base = base;
  }

  static JWK ecKey(Curve curve) throws Exception {
    return new ECKeyGenerator(curve)
        .algorithm(com.nimbusds.jose.JWEAlgorithm.ECDH_ES_A256KW)
        .generate();
  }

  static JWK rsaKey(int bits) throws Exception {
    return new RSAKeyGenerator(bits, true)
        .algorithm(com.nimbusds.jose.JWEAlgorithm.RSA_OAEP_256)
        .generate();
  }

  /** The tee-pubkey member as kbs-types serialises it. */
  static String teePubkey(JWK k) {
    if (k instanceof ECKey ec) {
      return "{\"alg\":\"ECDH-ES+A256KW\",\"crv\":\""
          + ec.getCurve().getName()
          + "\",\"kty\":\"EC\",\"x\":\""
          + ec.getX()
          + "\",\"y\":\""
          + ec.getY()
          + "\"}";
    }
    RSAKey rsa = (RSAKey) k;
    return "{\"alg\":\"RSA-OAEP-256\",\"e\":\""
        + rsa.getPublicExponent()
        + "\",\"kty\":\"RSA\",\"n\":\""
        + rsa.getModulus()
        + "\"}";
  }

  HttpResponse<String> auth(String tee) throws Exception {
    return auth("0.4.0", tee);
  }

  HttpResponse<String> auth(String version, String tee) throws Exception {
    String body =
        "{\"version\":\""
            + version
            + "\",\"tee\":\""
            + tee
            + "\",\"extra-params\":{\"supported-hash-algorithms\":[\"sha384\"]}}";
    HttpResponse<String> r = post("/kbs/v0/auth", body, Optional.empty());
    if (r.statusCode() == 200) {
      String setCookie = r.headers().firstValue("set-cookie").orElseThrow();
      cookie = setCookie.substring(0, setCookie.indexOf(';'));
      nonce = JSON.readTree(r.body()).get("nonce").asText();
    }
    return r;
  }

  /** Canonical {"additional-evidence","nonce","tee-pubkey"} (members already sorted) hashed. */
  static byte[] bindingDigest(String nonce, JWK key) throws Exception {
    String canonical =
        "{\"additional-evidence\":\"\",\"nonce\":\""
            + nonce
            + "\",\"tee-pubkey\":"
            + teePubkey(key)
            + "}";
    return MessageDigest.getInstance("SHA-384").digest(canonical.getBytes(StandardCharsets.UTF_8));
  }

  String attestationBody(JWK k, byte[] reportData) {
    return attestationBody(teePubkey(k), nonce, reportData);
  }

  static String attestationBody(String teePubkey, String nonce, byte[] reportData) {
    String evidence =
        "{\"svn\":\"1\",\"report_data\":\""
            + Base64.getEncoder().encodeToString(reportData)
            + "\"}";
    return "{\"runtime-data\":{\"nonce\":\""
        + nonce
        + "\",\"tee-pubkey\":"
        + teePubkey
        + "},\"tee-evidence\":{\"primary_evidence\":"
        + evidence
        + ",\"additional_evidence\":\"\"}}";
  }

  HttpResponse<String> attest(JWK k) throws Exception {
    this.key = k;
    return post("/kbs/v0/attest", attestationBody(k, bindingDigest(nonce, k)), Optional.empty());
  }

  HttpResponse<String> resource(String path) throws Exception {
    return get("/kbs/v0/resource/" + path, Optional.empty());
  }

  HttpResponse<String> post(String path, String body, Optional<String> authorization)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    authorization.ifPresent(a -> b.header("Authorization", a));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path, Optional<String> authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    authorization.ifPresent(a -> b.header("Authorization", a));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }
}
