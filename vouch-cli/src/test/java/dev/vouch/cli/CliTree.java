package dev.vouch.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** Every command of the {@code vouch} tree by its path, as {@link Main#run} builds the tree. */
final class CliTree {
  private CliTree() {}

  /** Paths below the root ({@code ["host", "list"]}), depth first, in declaration order. */
  static Map<List<String>, CommandLine> commands(boolean includeHidden) {
    Map<List<String>, CommandLine> out = new LinkedHashMap<>();
    walk(Main.helpEverywhere(new CommandLine(new Main())), List.of(), includeHidden, out);
    return out;
  }

  private static void walk(
      CommandLine cl,
      List<String> path,
      boolean includeHidden,
      Map<List<String>, CommandLine> out) {
    out.put(path, cl);
    cl.getSubcommands()
        .forEach(
            (name, sub) -> {
              // aliases appear under each name: visit a command under its own name only
              if (!name.equals(sub.getCommandName())
                  || (!includeHidden && sub.getCommandSpec().usageMessage().hidden())) {
                return;
              }
              List<String> p = new ArrayList<>(path);
              p.add(name);
              walk(sub, List.copyOf(p), includeHidden, out);
            });
  }
}
