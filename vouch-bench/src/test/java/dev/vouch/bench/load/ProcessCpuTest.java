package dev.vouch.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcessCpuTest {
  // a real line's shape: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt
  // cmajflt utime stime ...
  private static final String LINE =
      "4242 (java) S 1 4242 4242 0 -1 4194560 51234 0 12 0 1530 247 0 0 20 0 45 0 8812 "
          + "4300000000 91234 18446744073709551615 1 1 0 0 0 0 0 4096 16796879 0 0 0 17 1 0 0 0"
          + " 0 0";

  @Test
  void sumsUserAndSystemTicks() {
    assertThat(ProcessCpu.ticks(LINE)).isEqualTo(1530 + 247);
  }

  @Test
  void countsFieldsAfterACommandNameWithSpacesAndParentheses() {
    String odd = LINE.replace("(java)", "(a) b (c) 9 9)");
    assertThat(ProcessCpu.ticks(odd)).isEqualTo(1530 + 247);
  }

  @Test
  void refusesLinesThatAreNotProcStat() {
    assertThatThrownBy(() -> ProcessCpu.ticks("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ProcessCpu.ticks("4242 java S 1 2 3"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ProcessCpu.ticks("4242 (java) S 1 2 3"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ProcessCpu.ticks(LINE.replace(" 1530 ", " x ")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ProcessCpu.ticks(LINE.replace(" 1530 ", " -3 ")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readsThisProcessAndItsTimeDoesNotGoBack() throws Exception {
    ProcessCpu self = ProcessCpu.of(ProcessHandle.current().pid());
    double first = self.seconds();
    long sink = 0;
    for (int i = 0; i < 20_000_000; i++) {
      sink += Long.hashCode(sink * 31 + i);
    }
    assertThat(sink).isNotEqualTo(1); // keeps the loop
    // a JVM that started, loaded JUnit and ran this loop has used CPU time
    assertThat(self.seconds()).isGreaterThan(0).isGreaterThanOrEqualTo(first);
    assertThat(ProcessCpu.clockTicksPerSecond()).isPositive();
  }

  @Test
  void refusesAProcessThatDoesNotExist() {
    assertThatThrownBy(() -> ProcessCpu.of(Long.MAX_VALUE)).isInstanceOf(java.io.IOException.class);
  }
}
