package dev.vouch.evidence.tpm.eventlog;

import dev.vouch.core.bytes.Hex;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Builds the ordered, JSON-friendly view of an event for {@code vouch eventlog show}. */
final class EventDescriber {
  private EventDescriber() {}

  static Map<String, Object> describe(TcgEvent event) {
    EventHeader h = event.header();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("index", h.index());
    m.put("pcr", h.pcr());
    m.put("type", h.typeName());
    Map<String, Object> digests = new LinkedHashMap<>();
    for (var alg : h.banks()) {
      digests.put(alg.shortName(), Hex.encode(h.digestRef(alg)));
    }
    m.put("digests", digests);
    m.put("data_length", h.dataLength());
    switch (event) {
      case SpecIdEvent e -> {
        m.put("signature", e.signature());
        m.put("platform_class", e.platformClass());
        m.put(
            "spec_version",
            e.specVersionMajor() + "." + e.specVersionMinor() + " errata " + e.specErrata());
        m.put("uintn_size", e.uintnSize());
        List<Object> algs = new ArrayList<>();
        for (var a : e.algorithms()) {
          Map<String, Object> am = new LinkedHashMap<>();
          am.put("algorithm", a.hashAlg().map(x -> x.shortName()).orElse(hex16(a.algorithmId())));
          am.put("digest_size", a.digestSize());
          algs.add(am);
        }
        m.put("algorithms", algs);
        m.put("vendor_info", Hex.encode(e.vendorInfo()));
      }
      case StartupLocalityEvent e -> m.put("locality", e.locality());
      case NoActionEvent e -> {
        m.put("signature", e.signature());
        m.put("data", Hex.encode(h.dataRef()));
      }
      case SeparatorEvent e -> {
        e.value().ifPresent(v -> m.put("value", hex32(v)));
        m.put("error", e.isError());
      }
      case EfiVariableEvent e -> {
        m.put("vendor_guid", e.vendorGuid().toString());
        m.put("name", e.name());
        m.put("value_length", e.valueLength());
        m.put("value", Hex.encode(e.valueRef()));
      }
      case EfiImageLoadEvent e -> {
        m.put("image_location", hex64(e.imageLocation()));
        m.put("image_length", e.imageLength());
        m.put("link_time_address", hex64(e.linkTimeAddress()));
        m.put("device_path", e.devicePathText().orElse(Hex.encode(e.devicePath())));
      }
      case IplEvent e -> m.put("text", e.text());
      case EfiGptEvent e -> {
        m.put("disk_guid", e.gptHeader().diskGuid().toString());
        m.put("number_of_partitions", e.numberOfPartitions());
        List<Object> parts = new ArrayList<>();
        for (var p : e.partitions()) {
          Map<String, Object> pm = new LinkedHashMap<>();
          pm.put("type_guid", p.typeGuid().toString());
          pm.put("unique_guid", p.uniqueGuid().toString());
          pm.put("starting_lba", p.startingLba());
          pm.put("ending_lba", p.endingLba());
          pm.put("attributes", hex64(p.attributes()));
          pm.put("name", p.name());
          parts.add(pm);
        }
        m.put("partitions", parts);
      }
      case ActionEvent e -> m.put("text", e.text());
      case CrtmVersionEvent e -> {
        e.version().ifPresent(v -> m.put("version", v));
        m.put("data", Hex.encode(h.dataRef()));
      }
      case PostCodeEvent e -> {
        e.text().ifPresent(t -> m.put("text", t));
        e.blob().ifPresent(b -> putBlob(m, b));
      }
      case FirmwareBlobEvent e -> putBlob(m, e.blob());
      case HandoffTablesEvent e -> {
        e.description().ifPresent(d -> m.put("description", d));
        List<Object> tables = new ArrayList<>();
        for (var t : e.tables()) {
          Map<String, Object> tm = new LinkedHashMap<>();
          tm.put("vendor_guid", t.vendorGuid().toString());
          tm.put("address", hex64(t.address()));
          tables.add(tm);
        }
        m.put("tables", tables);
      }
      case EventTagEvent e -> {
        m.put("tagged_event_id", hex32(e.taggedEventId()));
        EfiData.printableAscii(e.taggedEventData()).ifPresent(t -> m.put("tagged_event_text", t));
        m.put("tagged_event_data", Hex.encode(e.taggedEventData()));
      }
      case PlatformDataEvent e -> {
        e.text().ifPresent(t -> m.put("text", t));
        m.put("data", Hex.encode(h.dataRef()));
      }
      case OpaqueEvent e -> {
        e.decodeError().ifPresent(err -> m.put("decode_error", err));
        m.put("data", Hex.encode(h.dataRef()));
      }
    }
    return m;
  }

  private static void putBlob(Map<String, Object> m, FirmwareBlob b) {
    b.description().ifPresent(d -> m.put("description", d));
    m.put("blob_base", hex64(b.base()));
    m.put("blob_length", b.length());
  }

  private static String hex16(int v) {
    return String.format(Locale.ROOT, "0x%04x", v);
  }

  private static String hex32(long v) {
    return String.format(Locale.ROOT, "0x%08x", v);
  }

  private static String hex64(long v) {
    return String.format(Locale.ROOT, "0x%x", v);
  }
}
