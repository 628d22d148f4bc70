package dev.vouch.server.rvps;

import static dev.vouch.server.http.JsonSchema.*;

import dev.vouch.core.VerificationException;
import dev.vouch.policy.rvps.ReferenceValue;
import dev.vouch.policy.rvps.ReferenceValueMessages;
import dev.vouch.policy.rvps.ReferenceValueStore;
import dev.vouch.server.aas.Permission;
import dev.vouch.server.http.Json;
import dev.vouch.server.http.Problem;
import dev.vouch.server.http.Routes;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin routes of the reference value provider service: register a message (sample or signed
 * bundle, see {@link ReferenceValueMessages}; a message that fails is answered 422 with its failure
 * code and stores nothing), query one value, list names, delete.
 */
public final class ReferenceValueRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(ReferenceValueRoutes.class);
  private final ReferenceValueStore store;
  private final ReferenceValueMessages messages;
  private final Clock clock;

  public ReferenceValueRoutes(
      ReferenceValueStore store, ReferenceValueMessages messages, Clock clock) {
    this.store = store;
    this.messages = messages;
    this.clock = clock;
  }

  public void register(Routes r) {
    r.admin(
            Permission.REFERENCE_VALUES_WRITE,
            "POST",
            "/api/v1/reference-values",
            "Register reference values from an RVPS message (sample or signed bundle)",
            "application/json",
            "application/json",
            List.of(200, 400, 401, 413, 422),
            this::register)
        .takes(
            object("version", STRING, "type", STRING, "payload", ANY)
                .describedAs(
                    "an RVPS message: type sample (payload: name -> values) or a signed bundle"))
        .returns(object("registered", arrayOf(STRING)));
    r.admin(
            Permission.REFERENCE_VALUES_READ,
            "GET",
            "/api/v1/reference-values/{name}",
            "One reference value with its provenance and validity",
            null,
            "application/json",
            List.of(200, 401, 404),
            this::get)
        .returns(
            object(
                "name",
                STRING,
                "values",
                arrayOf(ANY),
                "provenance",
                object(
                    "kind", STRING,
                    "signer", nullable(STRING),
                    "registered_at", DATE_TIME),
                "not_before",
                nullable(DATE_TIME),
                "expires",
                nullable(DATE_TIME),
                "valid",
                BOOLEAN));
    r.admin(
            Permission.REFERENCE_VALUES_READ,
            "GET",
            "/api/v1/reference-values",
            "Names of all stored reference values",
            null,
            "application/json",
            List.of(200, 401),
            ctx ->
                Json.write(
                    ctx,
                    200,
                    Map.of("names", store.list().stream().map(ReferenceValue::name).toList())))
        .returns(object("names", arrayOf(STRING)));
    r.admin(
        Permission.REFERENCE_VALUES_WRITE,
        "DELETE",
        "/api/v1/reference-values/{name}",
        "Remove a reference value",
        null,
        "application/json",
        List.of(204, 401, 404),
        this::delete);
  }

  private void register(Context ctx) throws VerificationException {
    List<ReferenceValue> values;
    try {
      values = messages.register(store, ctx.bodyAsBytes());
    } catch (VerificationException e) {
      LOG.info("reference values refused failure={} detail={}", e.failure(), e.getMessage());
      throw e;
    }
    List<String> names = values.stream().map(ReferenceValue::name).toList();
    LOG.info(
        "reference values registered count={} provenance={} names={}",
        names.size(),
        values.isEmpty() ? "-" : values.get(0).provenance().kind(),
        names);
    Json.write(ctx, 200, Map.of("registered", names));
  }

  private void get(Context ctx) {
    String name = ctx.pathParam("name");
    ReferenceValue v =
        store.list().stream()
            .filter(x -> x.name().equals(name))
            .findFirst()
            .orElseThrow(() -> Problem.notFound("no reference value '" + name + "'"));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", v.name());
    m.put("values", v.values());
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("kind", v.provenance().kind().name().toLowerCase(java.util.Locale.ROOT));
    p.put("signer", v.provenance().signer());
    p.put("registered_at", v.provenance().registeredAt().toString());
    m.put("provenance", p);
    m.put("not_before", v.notBefore() == null ? null : v.notBefore().toString());
    m.put("expires", v.expires() == null ? null : v.expires().toString());
    m.put("valid", v.validAt(clock.instant()));
    Json.write(ctx, 200, m);
  }

  private void delete(Context ctx) {
    String name = ctx.pathParam("name");
    if (!store.remove(name)) {
      throw Problem.notFound("no reference value '" + name + "'");
    }
    LOG.info("reference value removed name={}", name);
    ctx.status(204);
  }
}
