package dev.vouch.server.cms;

import static dev.vouch.server.http.JsonSchema.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.server.aas.Permission;
import dev.vouch.server.aas.Principal;
import dev.vouch.server.http.AdminAuth;
import dev.vouch.server.http.Json;
import dev.vouch.server.http.Problem;
import dev.vouch.server.http.Routes;
import dev.vouch.server.monitor.ServerIdentity;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The CMS over HTTP. Issuance takes a PKCS#10 PEM and answers with the chain as PEM; it is
 * authorized by a bootstrap token ({@code Authorization: Bearer vbt....}) or by an AAS credential
 * holding {@code agents:enroll}. Bootstrap tokens and revocation need {@code hosts:write}: minting
 * a credential for a host is an operator's act, which the {@code agent} role must not do for other
 * hosts. Handlers decode, call {@link Cms} and map its {@link CmsException} reasons to problems.
 */
public final class CmsRoutes {
  private static final String JSON = "application/json";
  private static final String PEM_CHAIN = "application/pem-certificate-chain";
  private static final String PKCS10 = "application/pkcs10";
  private static final String CRL = "application/pkix-crl";

  private final Cms cms;
  private final AdminAuth admin;

  public CmsRoutes(Cms cms, AdminAuth admin) {
    this.cms = cms;
    this.admin = admin;
  }

  public void register(Routes r) {
    r.open(
            "GET",
            "/api/v1/cms/ca",
            "The CMS CA chain (intermediate, root) as PEM; agents and the server pin the root",
            null,
            PEM_CHAIN,
            List.of(200),
            ctx -> {
              StringBuilder b = new StringBuilder();
              cms.authority().chain().forEach(c -> b.append(ServerIdentity.pem(c)));
              ctx.status(200).contentType(PEM_CHAIN).result(b.toString());
            })
        .returns(text("PEM certificates: intermediate, then root"));
    r.open(
            "GET",
            "/api/v1/cms/crl",
            "The CMS CRL (DER), signed by the intermediate, next update within 24 hours",
            null,
            CRL,
            List.of(200),
            ctx -> ctx.status(200).contentType(CRL).result(cms.crl()))
        .returns(text("DER X.509 CRL"));
    r.open(
            "POST",
            "/api/v1/cms/certificates",
            "Issue a TLS certificate from a PKCS#10 PEM whose names are exactly the host id: bearer a"
                + " one-time bootstrap token (vbt....), or an AAS credential with agents:enroll"
                + " (?host=ID, default the account name; another host needs hosts:write too)",
            PKCS10,
            PEM_CHAIN,
            List.of(201, 400, 401, 403),
            refusals(this::issue))
        .takes(text("PKCS#10 certificate request, PEM"))
        .returns(text("PEM certificates: the new one, then its CA chain"));
    r.open(
            "POST",
            "/api/v1/cms/certificates/renew",
            "Renew a CMS certificate before it expires: {csr: PKCS#10 PEM for the same host,"
                + " certificate: the current certificate PEM, signature: base64 of the current key's"
                + " signature over the CSR's DER}; answers the new chain as PEM",
            JSON,
            PEM_CHAIN,
            List.of(201, 400, 401, 403),
            refusals(this::renew))
        .takes(
            object(
                "csr", text("PKCS#10 certificate request, PEM"),
                "certificate", text("the current certificate, PEM"),
                "signature", text("base64")))
        .returns(text("PEM certificates: the new one, then its CA chain"));
    r.admin(
            Permission.HOSTS_READ,
            "GET",
            "/api/v1/cms/certificates",
            "Certificates the CMS issued, with revocation times",
            null,
            JSON,
            List.of(200, 401, 403),
            ctx ->
                Json.write(
                    ctx,
                    200,
                    Map.of(
                        "certificates", cms.certificates().stream().map(CmsRoutes::info).toList())))
        .returns(
            object(
                "certificates",
                arrayOf(
                    object(
                        "serial", STRING,
                        "host_id", STRING,
                        "issued_by", STRING,
                        "not_before", DATE_TIME,
                        "not_after", DATE_TIME,
                        "revoked_at?", DATE_TIME))));
    r.admin(
            Permission.HOSTS_WRITE,
            "POST",
            "/api/v1/cms/bootstrap-tokens",
            "Create a one-time bootstrap token for a host: {host_id, expires_in?: seconds (default"
                + " 3600, at most 7 days)}; the token is in the answer and nowhere else",
            JSON,
            JSON,
            List.of(201, 400, 401, 403),
            refusals(this::createToken))
        .takes(object("host_id", STRING, "expires_in?", INTEGER))
        .returns(object("id", STRING, "token", STRING, "host_id", STRING, "expires_at", DATE_TIME));
    r.admin(
            Permission.HOSTS_WRITE,
            "POST",
            "/api/v1/cms/certificates/{serial}/revoke",
            "Revoke a CMS certificate (hex serial); it is in the next CRL and refused by the server",
            null,
            JSON,
            List.of(200, 401, 403, 404),
            refusals(
                ctx -> {
                  cms.revoke(ctx.pathParam("serial"));
                  Json.write(ctx, 200, Map.of("revoked", true));
                }))
        .returns(object("revoked", BOOLEAN));
  }

  private void issue(Context ctx) {
    String bearer = AdminAuth.bearer(ctx);
    Cms.Requester who;
    if (bearer != null && bearer.startsWith(Cms.TOKEN_PREFIX)) {
      who = new Cms.Bootstrap(bearer);
    } else {
      Principal p = admin.check(ctx, Permission.AGENTS_ENROLL);
      String host = ctx.queryParam("host");
      if (host == null) {
        host = p.account();
      } else if (!host.equalsIgnoreCase(p.account()) && !p.may(Permission.HOSTS_WRITE)) {
        throw new CmsException(
            CmsException.Reason.CSR_NAME_MISMATCH,
            "an agent account enrolls its own host only; another host needs hosts:write");
      }
      who = new Cms.Enroller(p.account(), host);
    }
    Cms.Issued issued = cms.issue(new String(ctx.bodyAsBytes(), StandardCharsets.UTF_8), who);
    ctx.header("X-Vouch-Certificate-Serial", issued.serial());
    ctx.status(201).contentType(PEM_CHAIN).result(issued.chainPem());
  }

  private void renew(Context ctx) {
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, Set.of("csr", "certificate", "signature"), "a renewal request");
    X509Certificate current = certificate(Json.text(body, "certificate"));
    byte[] signature;
    try {
      signature = Base64.getDecoder().decode(Json.text(body, "signature"));
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest("bad-request", "signature is base64");
    }
    Cms.Issued issued = cms.issue(Json.text(body, "csr"), new Cms.Renewal(current, signature));
    ctx.header("X-Vouch-Certificate-Serial", issued.serial());
    ctx.status(201).contentType(PEM_CHAIN).result(issued.chainPem());
  }

  // one PEM certificate, bounded like a CSR
  private static X509Certificate certificate(String pem) {
    if (pem.length() > 16 * 1024) {
      throw Problem.badRequest(
          "bad-request", "certificate is one PEM certificate of at most 16 KiB");
    }
    try {
      var all =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)));
      if (all.size() != 1) {
        throw Problem.badRequest("bad-request", "certificate is exactly one PEM certificate");
      }
      return (X509Certificate) all.iterator().next();
    } catch (CertificateException e) {
      throw Problem.badRequest("bad-request", "certificate does not parse as PEM X.509");
    }
  }

  private void createToken(Context ctx) {
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, Set.of("host_id", "expires_in"), "a bootstrap token request");
    Duration lifetime = Cms.DEFAULT_TOKEN_LIFETIME;
    if (body.has("expires_in")) {
      if (!body.get("expires_in").canConvertToLong()) {
        throw Problem.badRequest("bad-request", "expires_in is a number of seconds");
      }
      lifetime = Duration.ofSeconds(body.get("expires_in").asLong());
    }
    Principal p = ctx.attribute(AdminAuth.PRINCIPAL);
    Cms.BootstrapToken t =
        cms.createBootstrapToken(
            Json.text(body, "host_id"), lifetime, p == null ? "unknown" : p.account());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", t.id());
    out.put("token", t.token());
    out.put("host_id", t.hostId());
    out.put("expires_at", t.expiresAt().toString());
    Json.write(ctx, 201, out);
  }

  private static Map<String, Object> info(Cms.CertificateInfo c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("serial", c.serial());
    m.put("host_id", c.hostId());
    m.put("issued_by", c.issuedBy());
    m.put("not_before", c.notBefore().toString());
    m.put("not_after", c.notAfter().toString());
    c.revokedAt().ifPresent(t -> m.put("revoked_at", t.toString()));
    return m;
  }

  private static Handler refusals(Handler h) {
    return ctx -> {
      try {
        h.handle(ctx);
      } catch (CmsException e) {
        throw problem(e).exception();
      }
    };
  }

  /** The problem for a CMS refusal: its reason's status and stable code. */
  static Problem problem(CmsException e) {
    String title =
        switch (e.reason().status()) {
          case 401 ->
              e.reason().name().startsWith("RENEWAL")
                  ? "Renewal refused"
                  : "Bootstrap token refused";
          case 403 -> "Name not allowed";
          case 404 -> "No such certificate";
          default -> "The request is invalid";
        };
    return Problem.of(e.reason().status(), e.reason().code(), title, e.getMessage());
  }
}
