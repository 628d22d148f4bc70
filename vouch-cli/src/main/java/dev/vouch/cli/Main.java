package dev.vouch.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code vouch} command line. Exit codes: 0 ok or trusted, 1 verification failed or untrusted,
 * 2 bad input or a request the server refused, 3 internal or I/O error (server unreachable or
 * failing included).
 */
@Command(
    name = "vouch",
    mixinStandardHelpOptions = true,
    version = "vouch 0.1.0",
    description = "Remote attestation and trusted compute.",
    footer = {
      "",
      "Admin verbs (host, flavor, report list|get|ca) talk to a server given by",
      "--server URL or VOUCH_SERVER, with the admin token from --token-file FILE",
      "or VOUCH_ADMIN_TOKEN; --cacert PEM (or VOUCH_CACERT) trusts a self-signed",
      "server certificate (<data_dir>/tls/server.crt).",
      "Every command and sub-command takes --help.",
      "Exit codes: 0 ok or trusted, 1 verification failed or untrusted, 2 bad input",
      "or a refused request (a wrong admin token included), 3 internal or I/O error",
      "(an unreachable or failing server included)."
    },
    subcommands = {
      EventlogCommand.class,
      VerifyCommand.class,
      PolicyCommand.class,
      HostCommand.class,
      FlavorCommand.class,
      ReportCommand.class,
      DemoCommand.class,
      AgentCommand.class,
      StartupTrainingCommand.class,
      KbsCommand.class,
      ServerCommand.class,
      ImageCommand.class,
      AuditCommand.class,
      LoginCommand.class,
      UserCommand.class,
      RoleCommand.class,
      ApikeyCommand.class,
      ResourceCommand.class,
      SecretCommand.class,
      DataHubCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main extends CommandGroup {

  public static void main(String[] args) {
    // one log layout for every process this launcher runs (server, agent, demo); Logback's
    // layout reads the same setting
    try {
      dev.vouch.core.log.Logs.install(dev.vouch.core.log.LogFormat.configured());
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(ExitCodes.BAD_INPUT);
    }
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code; used by tests without exiting the JVM. */
  public static int run(String... args) {
    return run(
        new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
  }

  /** Runs the CLI with the given output streams and returns its exit code. */
  public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new Main());
    helpEverywhere(cl);
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          ex.getCommandLine().getErr().println("error: " + ex.getMessage());
          ex.getCommandLine().usage(ex.getCommandLine().getErr());
          return ExitCodes.BAD_INPUT;
        });
    cl.setExecutionExceptionHandler(
        (ex, c, parsed) -> {
          c.getErr().println("internal error: " + ex);
          return ExitCodes.INTERNAL;
        });
    return cl.execute(args);
  }

  /**
   * The command tree with {@code -h/--help} on every command that lacks it, so that {@code vouch
   * host --help} prints the group's usage as {@code vouch --help} does, for verbs added later too.
   */
  static CommandLine helpEverywhere(CommandLine cl) {
    CommandSpec spec = cl.getCommandSpec();
    if (spec.options().stream().noneMatch(OptionSpec::usageHelp)) {
      List<String> names = new ArrayList<>();
      for (String n : List.of("-h", "--help")) {
        if (spec.findOption(n) == null) {
          names.add(n);
        }
      }
      if (!names.isEmpty()) {
        spec.addOption(
            OptionSpec.builder(names.toArray(String[]::new))
                .usageHelp(true)
                .description("Show this help message and exit.")
                .build());
      }
    }
    for (CommandLine sub : cl.getSubcommands().values()) {
      helpEverywhere(sub);
    }
    return cl;
  }
}
