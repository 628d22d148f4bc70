package dev.vouch.server.http;

import io.javalin.config.JavalinConfig;

/**
 * One service's HTTP routes (attestation service, RVPS, KBS, hosts, ...). The server builds one
 * Javalin app and lets each enabled service add its routes, so services stay switchable in config
 * and testable on their own app.
 */
public interface RouteGroup {

  /** Adds this group's routes, exception mappings and before-handlers to {@code config}. */
  void register(JavalinConfig config);
}
