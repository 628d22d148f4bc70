package dev.vouch.evidence.tpm.eventlog;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * {@code EV_EFI_GPT_EVENT} (or {@code EV_EFI_GPT_EVENT2}): the boot disk's GPT header and its
 * non-empty partition entries ({@code UEFI_GPT_DATA}).
 *
 * @param numberOfPartitions the count the event states
 * @param partitions the entries decoded, at most {@code numberOfPartitions}
 */
public record EfiGptEvent(
    EventHeader header, GptHeader gptHeader, long numberOfPartitions, List<Partition> partitions)
    implements TcgEvent {

  public EfiGptEvent {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(gptHeader, "gptHeader");
    partitions = List.copyOf(partitions);
  }

  /** The fields of {@code EFI_PARTITION_TABLE_HEADER} a verifier may check. */
  public record GptHeader(
      long signature,
      long revision,
      long headerSize,
      long myLba,
      long alternateLba,
      long firstUsableLba,
      long lastUsableLba,
      UUID diskGuid,
      long partitionEntryLba,
      long numberOfPartitionEntries,
      long sizeOfPartitionEntry) {
    /** {@code "EFI PART"} read as a little-endian u64. */
    public static final long EFI_PART = 0x5452415020494645L;

    public GptHeader {
      Objects.requireNonNull(diskGuid, "diskGuid");
    }
  }

  /** One {@code EFI_PARTITION_ENTRY}. */
  public record Partition(
      UUID typeGuid,
      UUID uniqueGuid,
      long startingLba,
      long endingLba,
      long attributes,
      String name) {
    public Partition {
      Objects.requireNonNull(typeGuid, "typeGuid");
      Objects.requireNonNull(uniqueGuid, "uniqueGuid");
      Objects.requireNonNull(name, "name");
    }
  }
}
