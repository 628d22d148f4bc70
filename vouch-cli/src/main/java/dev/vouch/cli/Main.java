package dev.vouch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code vouch} command line. Exit codes: 0 ok, 1 verification failed, 2 bad input, 3 error.
 */
@Command(
    name = "vouch",
    mixinStandardHelpOptions = true,
    version = "vouch 0.1.0",
    description = "Remote attestation and trusted compute.",
    subcommands = {
      EventlogCommand.class,
      VerifyCommand.class,
      PolicyCommand.class,
      ReportCommand.class,
      FlavorCommand.class,
      DemoCommand.class,
      AgentCommand.class,
      StartupTrainingCommand.class,
      KbsCommand.class,
      ServerCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main extends CommandGroup {

  public static void main(String[] args) {
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
}
