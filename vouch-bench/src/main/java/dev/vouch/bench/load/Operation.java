package dev.vouch.bench.load;

/** One request of a workload (a full KBS handshake, one attest call); throws when it failed. */
@FunctionalInterface
public interface Operation {
  void run() throws Exception;

  /** A failure with a stable kind for the error counts (e.g. {@code http-429}, {@code denied}). */
  final class Failed extends Exception {
    private final String kind;

    public Failed(String kind, String message) {
      super(message, null, false, false);
      this.kind = kind;
    }

    public String kind() {
      return kind;
    }
  }

  /**
   * The kind of an HTTP error answer: {@code http-STATUS}, followed by the last segment of a
   * problem document's {@code type} (e.g. {@code http-422-signature-invalid}) when there is one.
   */
  static Failed http(int status, String body) {
    String kind = "http-" + status;
    if (body.length() < 65_536) {
      try {
        String type =
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(body)
                .path("type")
                .asText("");
        String last = type.substring(type.lastIndexOf('/') + 1);
        if (last.matches("[A-Za-z0-9_.-]{1,64}")) {
          kind += "-" + last;
        }
      } catch (java.io.IOException e) {
        // not JSON: the status alone
      }
    }
    return new Failed(kind, "answered " + status);
  }

  /** The error count key of an exception: its kind when it is a {@link Failed}, else its class. */
  static String kindOf(Throwable e) {
    return e instanceof Failed f ? f.kind() : e.getClass().getSimpleName();
  }
}
