package dev.vouch.evidence.cca;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads the CCA/PSA vectors copied into test resources ({@code vectors/cca/...}). */
public final class CcaVectors {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static final String TRUSTEE_TOKEN = "trustee/cca-example-token.cbor";
  public static final String TRUSTEE_CPAK = "trustee/cpak-pub.json";
  public static final String TRUSTEE_TA_STORE = "trustee/tastore.json";
  public static final String RMM_TOKEN = "ccatoken/cca_token.cbor";
  public static final String RMM_CPAK = "ccatoken/cca_platform.pub";
  public static final String PSA_2_0 = "psatoken/psa-2_0_0_sign1.bin";
  public static final String PSA_IOT_1 = "psatoken/psa-iot-1_sign1.bin";
  public static final String PSA_KEY = "psatoken/public.pem";

  private CcaVectors() {}

  public static byte[] bytes(String path) {
    try (InputStream in = CcaVectors.class.getResourceAsStream("/vectors/cca/" + path)) {
      if (in == null) {
        throw new IllegalStateException("missing test vector " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JsonNode json(String path) {
    try {
      return JSON.readTree(bytes(path));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
