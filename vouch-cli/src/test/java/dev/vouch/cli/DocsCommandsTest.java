package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every {@code vouch ...} command in a shell block of docs/ or the README parses against the CLI as
 * it is (verbs, sub-verbs, options and their arity), so the docs name no flag that does not exist.
 * Shell variables stand for values ({@code 1}); redirections and pipes end a command.
 */
class DocsCommandsTest {
  static final Pattern SH_BLOCK = Pattern.compile("```sh[^\\n]*\\n(.*?)```", Pattern.DOTALL);
  static final Pattern COMMAND =
      Pattern.compile("(?:^|[|;&(]|&&|\\bdo)\\s*(?:bin/)?vouch((?:\\s+[^|;&<>()\\s]+)*)");

  static List<Path> pages() throws IOException {
    List<Path> out = new ArrayList<>();
    out.add(Path.of("../README.md"));
    try (Stream<Path> s = Files.list(Path.of("../docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(out::add);
    }
    return out;
  }

  /** The {@code vouch} command lines of the shell blocks of one page, continuations joined. */
  static List<String> commands(String page) {
    List<String> out = new ArrayList<>();
    Matcher b = SH_BLOCK.matcher(page);
    while (b.find()) {
      String block = b.group(1).replace("\\\n", " ");
      for (String line : block.split("\n")) {
        String code = line.replaceAll("\\s#.*$", "").replaceAll("\\s\\d*>>?&?\\S*", " ");
        Matcher m = COMMAND.matcher(code);
        while (m.find()) {
          out.add(m.group(1).strip());
        }
      }
    }
    return out;
  }

  /** Shell words, quotes removed; a word holding a variable or substitution becomes {@code 1}. */
  static List<String> words(String args) {
    List<String> out = new ArrayList<>();
    Matcher w = Pattern.compile("\"[^\"]*\"|'[^']*'|\\S+").matcher(args);
    while (w.find()) {
      String t = w.group();
      if (t.contains("$")) {
        out.add("1");
      } else {
        out.add(t.replaceAll("^[\"']|[\"']$", ""));
      }
    }
    return out;
  }

  @Test
  void everyVouchCommandInTheDocsParses() throws IOException {
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (Path page : pages()) {
      for (String args : commands(Files.readString(page))) {
        if (args.isEmpty()) {
          continue;
        }
        CommandLine cl = Main.helpEverywhere(new CommandLine(new Main()));
        try {
          cl.parseArgs(words(args).toArray(String[]::new));
          checked++;
        } catch (CommandLine.ParameterException e) {
          problems.add(page.getFileName() + ": vouch " + args + " -> " + e.getMessage());
        }
      }
    }
    assertThat(problems).isEmpty();
    assertThat(checked).as("commands found in the docs").isGreaterThanOrEqualTo(12);
  }

  @Test
  void aFlagThatDoesNotExistIsCaught() {
    List<String> found =
        commands("```sh\nvouch host list --no-such-flag 2>/dev/null | grep x\n```\n");
    assertThat(found).containsExactly("host list --no-such-flag");
    CommandLine cl = Main.helpEverywhere(new CommandLine(new Main()));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> cl.parseArgs(words(found.getFirst()).toArray(String[]::new)))
        .isInstanceOf(CommandLine.UnmatchedArgumentException.class);
  }
}
