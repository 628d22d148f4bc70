package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --help} and {@code -h} work on every command and sub-command of the tree. */
class HelpEverywhereTest {
  @Test
  void everyCommandAndSubcommandPrintsItsUsageForHelpAndExitsZero() {
    Map<List<String>, CommandLine> tree = CliTree.commands(true);
    // the groups and leaves the README names are all there (the walk does not silently miss them)
    assertThat(tree.keySet())
        .contains(
            List.of("host"),
            List.of("host", "list"),
            List.of("flavor", "group", "put"),
            List.of("report", "verify"),
            List.of("eventlog", "replay"),
            List.of("demo"),
            List.of("server"));
    SoftAssertions soft = new SoftAssertions();
    for (List<String> path : tree.keySet()) {
      for (String flag : List.of("--help", "-h")) {
        if (path.equals(List.of("startup-training")) && flag.equals("-h")) {
          continue;
        }
        List<String> args = new ArrayList<>(path);
        args.add(flag);
        CliRun r = CliRun.of(args.toArray(String[]::new));
        String usage = "Usage: vouch" + (path.isEmpty() ? "" : " " + String.join(" ", path));
        soft.assertThat(r.exit()).as("vouch %s: %s", String.join(" ", args), r.err()).isZero();
        soft.assertThat(r.out()).as("vouch %s", String.join(" ", args)).contains(usage);
        soft.assertThat(r.err()).as("vouch %s", String.join(" ", args)).isEmpty();
      }
    }
    soft.assertAll();
  }

  @Test
  void aGroupWithoutSubcommandStillPrintsItsUsageAndAnUnknownOptionStillExitsTwo() {
    CliRun group = CliRun.of("host");
    assertThat(group.exit()).isZero();
    assertThat(group.out()).contains("Usage: vouch host", "list", "onboard");
    CliRun bad = CliRun.of("host", "--no-such-option");
    assertThat(bad.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(bad.err()).contains("Unknown option: '--no-such-option'");
  }
}
