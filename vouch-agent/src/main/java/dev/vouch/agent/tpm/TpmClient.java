package dev.vouch.agent.tpm;

import static dev.vouch.agent.tpm.CommandBuilder.command;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmPublic;
import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A TPM 2.0 client in plain Java: marshals commands, sends them over a {@link TpmTransport} and
 * decodes the responses. Covers what an attestation agent needs: startup, capabilities, random
 * numbers, PCRs, endorsement/storage/attestation keys, quotes, certification, NV reads of EK
 * certificates, policy sessions and credential activation.
 *
 * <p>Every transient object or session this client creates is returned as an {@link AutoCloseable}
 * ({@link TransientKey}, {@link PolicySession}); policy sessions the client starts internally (to
 * satisfy an EK's policy) are flushed before the method returns, also on failure. Hierarchy and key
 * authorizations use the empty password.
 *
 * <p>Not thread-safe: a TPM runs one command at a time, and so does one client.
 *
 * @see <a href="https://trustedcomputinggroup.org/resource/tpm-library-specification/">TPM 2.0
 *     Library, Parts 2 and 3</a>
 */
public final class TpmClient implements AutoCloseable {
  private static final int TPM_CAP_HANDLES = 1;
  private static final int TPM_CAP_PCRS = 5;
  private static final int TPM_CAP_TPM_PROPERTIES = 6;
  private static final int PT_FAMILY_INDICATOR = 0x100;
  private static final int PT_REVISION = 0x102;
  private static final int PT_MANUFACTURER = 0x105;
  private static final int PT_VENDOR_STRING_1 = 0x106;
  private static final int PT_FIRMWARE_VERSION_1 = 0x10B;
  private static final int PT_FIRMWARE_VERSION_2 = 0x10C;
  private static final int PT_NV_BUFFER_MAX = 0x12C;
  private static final int TPM_SE_POLICY = 0x01;
  private static final int TPM_ST_ATTEST_QUOTE = 0x8018;

  /** Bounds on list lengths in responses, far above what real TPMs send. */
  private static final int MAX_LIST = 1024;

  /** PCR_Read returns at most 8 digests per call; 24 PCRs x 16 banks need far fewer rounds. */
  private static final int MAX_PCR_READ_ROUNDS = 64;

  /** Used when a TPM does not report TPM_PT_NV_BUFFER_MAX; every TPM 2.0 reads 512 bytes. */
  private static final int DEFAULT_NV_CHUNK = 512;

  private static final int RETRIES = 5;

  private final TpmTransport transport;
  private final SecureRandom random = new SecureRandom();
  private Integer nvBufferMax;

  public TpmClient(TpmTransport transport) {
    this.transport = transport;
  }

  /** Opens a client on {@code device:/dev/tpmrm0} or {@code swtpm:HOST:PORT}. */
  public static TpmClient open(String spec) throws TpmException {
    return new TpmClient(TpmTransport.open(spec));
  }

  // ---------------------------------------------------------------- command execution

  @FunctionalInterface
  private interface Parser<T> {
    T parse(ByteReader r) throws VerificationException;
  }

  /**
   * Sends a command and splits a successful response into handles and parameters. Retries a few
   * times when the TPM answers TPM_RC_RETRY, TPM_RC_YIELDED or TPM_RC_TESTING.
   *
   * @param responseHandles how many handles the response carries (Part 3 names them)
   * @throws TpmException with the decoded response code when the TPM reports an error, or a
   *     protocol error when the response is truncated or malformed
   */
  public TpmResponse execute(CommandBuilder cmd, int responseHandles) throws TpmException {
    byte[] bytes = cmd.build();
    for (int attempt = 0; ; attempt++) {
      try {
        return decode(cmd, responseHandles, transport.transmit(bytes));
      } catch (TpmException e) {
        boolean transientWarning =
            e.is(ResponseCode.TPM_RC_RETRY)
                || e.is(ResponseCode.TPM_RC_YIELDED)
                || e.is(ResponseCode.TPM_RC_TESTING);
        if (!transientWarning || attempt >= RETRIES) {
          throw e;
        }
        sleep(20L << attempt);
      }
    }
  }

  private static TpmResponse decode(CommandBuilder cmd, int responseHandles, byte[] resp)
      throws TpmException {
    CommandCode cc = cmd.commandCode();
    try {
      ByteReader r = ByteReader.bigEndian(resp);
      int tag = r.u16();
      long size = r.u32();
      int rc = r.s32();
      if (size != resp.length) {
        throw new VerificationException(
            Failure.MALFORMED, "header says " + size + " bytes, got " + resp.length);
      }
      if (rc != ResponseCode.SUCCESS) {
        throw TpmException.response(cc, new ResponseCode(rc));
      }
      int expectedTag =
          cmd.sessionCount() > 0
              ? CommandBuilder.TPM_ST_SESSIONS
              : CommandBuilder.TPM_ST_NO_SESSIONS;
      if (tag != expectedTag) {
        throw new VerificationException(
            Failure.MALFORMED, String.format("response tag 0x%04x", tag));
      }
      int[] handles = new int[responseHandles];
      for (int i = 0; i < responseHandles; i++) {
        handles[i] = r.s32();
      }
      byte[] params;
      if (cmd.sessionCount() > 0) {
        params = r.bytes(r.length32("parameterSize"));
        for (int i = 0; i < cmd.sessionCount(); i++) {
          r.sized16(); // nonceTPM
          r.u8(); // session attributes
          r.sized16(); // acknowledgement HMAC: empty for passwords and our policy sessions
        }
      } else {
        params = r.bytes(r.remaining());
      }
      r.expectEnd("response");
      return new TpmResponse(handles, params);
    } catch (VerificationException e) {
      throw TpmException.protocol(cc, "bad response: " + e.getMessage(), e);
    }
  }

  private static <T> T parse(CommandCode cc, TpmResponse resp, Parser<T> parser)
      throws TpmException {
    try {
      ByteReader r = resp.reader();
      T value = parser.parse(r);
      r.expectEnd(cc.tpmName() + " response parameters");
      return value;
    } catch (VerificationException e) {
      throw TpmException.protocol(cc, "bad response parameters: " + e.getMessage(), e);
    }
  }

  private static void sleep(long ms) throws TpmException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw TpmException.transport("interrupted while the TPM asked to retry", e);
    }
  }

  private byte[] nonce(int size) {
    byte[] n = new byte[size];
    random.nextBytes(n);
    return n;
  }

  // ---------------------------------------------------------------- startup and capabilities

  /**
   * TPM2_Startup. Returns false when the TPM was already started (TPM_RC_INITIALIZE), which is the
   * normal case under an operating system or for swtpm started with {@code startup-clear}.
   */
  public boolean startup(StartupType type) throws TpmException {
    try {
      execute(command(CommandCode.STARTUP).u16(type.value()), 0);
      return true;
    } catch (TpmException e) {
      if (e.is(ResponseCode.TPM_RC_INITIALIZE)) {
        return false;
      }
      throw e;
    }
  }

  /** TPM2_Shutdown: prepares the TPM for power loss, saving state for {@code STATE}. */
  public void shutdown(StartupType type) throws TpmException {
    execute(command(CommandCode.SHUTDOWN).u16(type.value()), 0);
  }

  private record CapabilityPage(boolean moreData, byte[] data) {}

  private CapabilityPage capability(int cap, int property, int count) throws TpmException {
    TpmResponse resp =
        execute(command(CommandCode.GET_CAPABILITY).u32(cap).u32(property).u32(count), 0);
    return parse(
        CommandCode.GET_CAPABILITY,
        resp,
        r -> {
          boolean more = r.u8() != 0;
          long got = r.u32();
          if (got != cap) {
            throw new VerificationException(
                Failure.MALFORMED, "asked for capability " + cap + ", got " + got);
          }
          return new CapabilityPage(more, r.bytes(r.remaining()));
        });
  }

  /**
   * TPM properties {@code first .. first+count-1} that the TPM reports (TPM_CAP_TPM_PROPERTIES).
   */
  public Map<Integer, Long> tpmProperties(int first, int count) throws TpmException {
    TreeMap<Integer, Long> out = new TreeMap<>();
    long end = (first & 0xFFFFFFFFL) + count;
    int property = first;
    for (int round = 0; round < MAX_LIST; round++) {
      CapabilityPage page = capability(TPM_CAP_TPM_PROPERTIES, property, count);
      int last =
          parse(
              CommandCode.GET_CAPABILITY,
              new TpmResponse(new int[0], page.data()),
              r -> {
                long n = r.u32();
                if (n > MAX_LIST) {
                  throw new VerificationException(Failure.MALFORMED, n + " properties");
                }
                int lastSeen = -1;
                for (int i = 0; i < n; i++) {
                  int p = r.s32();
                  long v = r.u32();
                  if ((p & 0xFFFFFFFFL) < end) {
                    out.put(p, v);
                  }
                  lastSeen = p;
                }
                return lastSeen;
              });
      if (!page.moreData() || last == -1 || ((last + 1) & 0xFFFFFFFFL) >= end) {
        break;
      }
      property = last + 1;
    }
    return out;
  }

  /** Manufacturer, vendor string, firmware version and limits from the fixed properties. */
  public TpmInfo info() throws TpmException {
    Map<Integer, Long> p = tpmProperties(PT_FAMILY_INDICATOR, 0x40);
    StringBuilder vendor = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      vendor.append(ascii(p.getOrDefault(PT_VENDOR_STRING_1 + i, 0L)));
    }
    long manufacturer = p.getOrDefault(PT_MANUFACTURER, 0L);
    int nvMax = (int) (long) p.getOrDefault(PT_NV_BUFFER_MAX, (long) DEFAULT_NV_CHUNK);
    return new TpmInfo(
        ascii(p.getOrDefault(PT_FAMILY_INDICATOR, 0L)),
        ascii(manufacturer),
        manufacturer,
        vendor.toString(),
        p.getOrDefault(PT_FIRMWARE_VERSION_1, 0L),
        p.getOrDefault(PT_FIRMWARE_VERSION_2, 0L),
        p.getOrDefault(PT_REVISION, 0L),
        nvMax);
  }

  /** Four ASCII characters packed big-endian, without NUL padding and trailing spaces. */
  private static String ascii(long v) {
    StringBuilder sb = new StringBuilder();
    for (int shift = 24; shift >= 0; shift -= 8) {
      int c = (int) (v >>> shift) & 0xFF;
      if (c >= 0x20 && c < 0x7F) {
        sb.append((char) c);
      }
    }
    return sb.toString().strip();
  }

  /** The PCR banks with at least one allocated register (TPM_CAP_PCRS). */
  public List<PcrSelection> pcrBanks() throws TpmException {
    CapabilityPage page = capability(TPM_CAP_PCRS, 0, 1);
    List<PcrSelection.Raw> raw =
        parse(
            CommandCode.GET_CAPABILITY,
            new TpmResponse(new int[0], page.data()),
            PcrSelection::readList);
    List<PcrSelection> out = new ArrayList<>();
    for (PcrSelection.Raw b : raw) {
      // banks of hash algorithms this code base does not know cannot be read or verified anyway
      Optional<HashAlg> alg = HashAlg.fromTpmId(b.algId());
      if (alg.isPresent() && !b.pcrs().isEmpty()) {
        out.add(new PcrSelection(alg.get(), b.pcrs()));
      }
    }
    return out;
  }

  /** Handles of one type, starting at {@code first} (TPM_CAP_HANDLES), e.g. all transients. */
  public List<Integer> handles(int first) throws TpmException {
    List<Integer> out = new ArrayList<>();
    int type = Handles.type(first);
    int property = first;
    for (int round = 0; round < MAX_LIST; round++) {
      CapabilityPage page = capability(TPM_CAP_HANDLES, property, 64);
      List<Integer> got =
          parse(
              CommandCode.GET_CAPABILITY,
              new TpmResponse(new int[0], page.data()),
              r -> {
                long n = r.u32();
                if (n > MAX_LIST) {
                  throw new VerificationException(Failure.MALFORMED, n + " handles");
                }
                List<Integer> hs = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                  hs.add(r.s32());
                }
                return hs;
              });
      for (int h : got) {
        if (Handles.type(h) == type) {
          out.add(h);
        }
      }
      if (!page.moreData() || got.isEmpty() || Handles.type(got.getLast()) != type) {
        break;
      }
      property = got.getLast() + 1;
    }
    return out;
  }

  /** Loaded transient objects; with no resource manager, anything here was left behind. */
  public List<Integer> transientHandles() throws TpmException {
    return handles(Handles.TRANSIENT_FIRST);
  }

  /** Loaded HMAC and policy sessions. */
  public List<Integer> loadedSessions() throws TpmException {
    return handles(Handles.LOADED_SESSION_FIRST);
  }

  /** TPM_PT_NV_BUFFER_MAX, queried once. */
  public int nvBufferMax() throws TpmException {
    if (nvBufferMax == null) {
      long v = tpmProperties(PT_NV_BUFFER_MAX, 1).getOrDefault(PT_NV_BUFFER_MAX, 0L);
      nvBufferMax = v > 0 && v <= 0xFFFF ? (int) v : DEFAULT_NV_CHUNK;
    }
    return nvBufferMax;
  }

  // ---------------------------------------------------------------- random and PCRs

  /**
   * {@code n} random bytes from the TPM (TPM2_GetRandom, repeated as the TPM gives at most a
   * digest's worth).
   */
  public byte[] getRandom(int n) throws TpmException {
    if (n < 0) {
      throw new IllegalArgumentException("negative length " + n);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(n);
    while (out.size() < n) {
      int ask = Math.min(n - out.size(), 64);
      byte[] got =
          parse(
              CommandCode.GET_RANDOM,
              execute(command(CommandCode.GET_RANDOM).u16(ask), 0),
              ByteReader::sized16);
      if (got.length == 0 || got.length > ask) {
        throw TpmException.protocol(
            CommandCode.GET_RANDOM, "asked for " + ask + " bytes, got " + got.length, null);
      }
      out.writeBytes(got);
    }
    return out.toByteArray();
  }

  private record PcrReadRound(
      long updateCounter, List<PcrSelection.Raw> selected, List<byte[]> digests) {}

  /**
   * Reads PCR values (TPM2_PCR_Read). A TPM returns at most eight digests per call, so this repeats
   * the call for what is still missing, and starts over if the PCR update counter moves between
   * calls, so that all values come from one PCR state.
   *
   * @throws TpmException when the TPM does not return some requested register (e.g. the bank is not
   *     allocated)
   */
  public PcrValues pcrRead(List<PcrSelection> selections) throws TpmException {
    for (int attempt = 0; attempt < 4; attempt++) {
      Map<HashAlg, TreeSet<Integer>> missing = new EnumMap<>(HashAlg.class);
      for (PcrSelection s : selections) {
        if (!s.pcrs().isEmpty()) {
          missing.computeIfAbsent(s.bank(), b -> new TreeSet<>()).addAll(s.pcrs());
        }
      }
      PcrValues.Builder values = PcrValues.builder();
      Long counter = null;
      boolean moved = false;
      for (int round = 0; round < MAX_PCR_READ_ROUNDS && !missing.isEmpty(); round++) {
        TpmWriter sel = new TpmWriter();
        List<PcrSelection> ask = new ArrayList<>();
        missing.forEach((bank, pcrs) -> ask.add(new PcrSelection(bank, pcrs)));
        PcrSelection.writeList(sel, ask);
        PcrReadRound got =
            parse(
                CommandCode.PCR_READ,
                execute(command(CommandCode.PCR_READ).bytes(sel.toByteArray()), 0),
                r -> {
                  long update = r.u32();
                  List<PcrSelection.Raw> out = PcrSelection.readList(r);
                  long n = r.u32();
                  if (n > MAX_LIST) {
                    throw new VerificationException(Failure.MALFORMED, n + " PCR digests");
                  }
                  List<byte[]> digests = new ArrayList<>();
                  for (int i = 0; i < n; i++) {
                    digests.add(r.sized16());
                  }
                  return new PcrReadRound(update, out, digests);
                });
        if (counter != null && counter != got.updateCounter()) {
          moved = true;
          break;
        }
        counter = got.updateCounter();
        int returned = assignPcrDigests(got, missing, values);
        if (returned == 0) {
          break;
        }
      }
      if (moved) {
        continue;
      }
      if (!missing.isEmpty()) {
        throw TpmException.protocol(
            CommandCode.PCR_READ,
            "the TPM returned no values for " + missing + " (bank not allocated?)",
            null);
      }
      return values.build();
    }
    throw TpmException.protocol(
        CommandCode.PCR_READ, "PCRs kept changing while they were read", null);
  }

  private static int assignPcrDigests(
      PcrReadRound got, Map<HashAlg, TreeSet<Integer>> missing, PcrValues.Builder values)
      throws TpmException {
    int k = 0;
    for (PcrSelection.Raw b : got.selected()) {
      for (int pcr : b.pcrs()) {
        HashAlg alg = HashAlg.fromTpmId(b.algId()).orElse(null);
        TreeSet<Integer> want = alg == null ? null : missing.get(alg);
        if (want == null || !want.contains(pcr)) {
          throw TpmException.protocol(
              CommandCode.PCR_READ,
              String.format(
                  "returned PCR %d of bank 0x%04x that was not asked for", pcr, b.algId()),
              null);
        }
        if (k >= got.digests().size() || got.digests().get(k).length != alg.size()) {
          throw TpmException.protocol(
              CommandCode.PCR_READ, "digest list does not match the returned selection", null);
        }
        values.put(alg, pcr, got.digests().get(k++));
        want.remove(pcr);
        if (want.isEmpty()) {
          missing.remove(alg);
        }
      }
    }
    if (k != got.digests().size()) {
      throw TpmException.protocol(CommandCode.PCR_READ, "more digests than selected PCRs", null);
    }
    return k;
  }

  /**
   * Extends one PCR in several banks at once (TPM2_PCR_Extend).
   *
   * @param digests one digest per bank, each of the bank's digest size
   */
  public void pcrExtend(int pcr, Map<HashAlg, byte[]> digests) throws TpmException {
    CommandBuilder cmd =
        command(CommandCode.PCR_EXTEND)
            .handle(pcr)
            .auth(SessionAuth.emptyPassword())
            .u32(digests.size());
    for (Map.Entry<HashAlg, byte[]> d : digests.entrySet()) {
      if (d.getValue().length != d.getKey().size()) {
        throw new IllegalArgumentException(
            d.getKey().shortName() + " digest of " + d.getValue().length + " bytes");
      }
      cmd.u16(d.getKey().tpmId()).bytes(d.getValue());
    }
    execute(cmd, 0);
  }

  // ---------------------------------------------------------------- keys

  private static final byte[] EMPTY_SENSITIVE_CREATE = {0, 4, 0, 0, 0, 0};

  private record KeyOutput(byte[] privateArea, byte[] publicArea, byte[] name) {}

  /** Reads the creation outputs common to CreatePrimary and Create. */
  private static Parser<KeyOutput> keyOutput(boolean primary) {
    return r -> {
      byte[] priv = primary ? new byte[0] : tpm2b(r);
      byte[] pub = tpm2b(r);
      r.sized16(); // creationData
      r.sized16(); // creationHash
      r.u16(); // creationTicket.tag
      r.u32(); // creationTicket.hierarchy
      r.sized16(); // creationTicket.digest
      byte[] name = primary ? r.sized16() : new byte[0];
      return new KeyOutput(priv, pub, name);
    };
  }

  /** A TPM2B read with its size prefix kept. */
  private static byte[] tpm2b(ByteReader r) throws VerificationException {
    int start = r.position();
    r.sized16();
    return r.consumedSince(start);
  }

  /**
   * Creates a primary key in {@code hierarchy} (TPM2_CreatePrimary), e.g. an EK in {@link
   * Handles#TPM_RH_ENDORSEMENT} or an SRK in {@link Handles#TPM_RH_OWNER}. Primary keys are derived
   * from the hierarchy seed, so the same template gives the same key every time.
   */
  public TransientKey createPrimary(int hierarchy, KeyTemplate template) throws TpmException {
    TpmResponse resp =
        execute(
            command(CommandCode.CREATE_PRIMARY)
                .handle(hierarchy)
                .auth(SessionAuth.emptyPassword())
                .bytes(EMPTY_SENSITIVE_CREATE)
                .tpm2b(template.tpmtPublic())
                .tpm2b(new byte[0])
                .u32(0),
            1);
    int handle = resp.handles()[0];
    KeyOutput out =
        flushOnFailure(handle, () -> parse(CommandCode.CREATE_PRIMARY, resp, keyOutput(true)));
    return new TransientKey(this, handle, out.publicArea(), out.name());
  }

  /** Recreates the endorsement key of {@code ek}'s template in the endorsement hierarchy. */
  public TransientKey createEk(EkTemplate ek) throws TpmException {
    return createPrimary(Handles.TPM_RH_ENDORSEMENT, ek.template());
  }

  /**
   * Creates a key under {@code parent} (TPM2_Create). When the parent is an EK (policy-authorized
   * with PolicySecret(TPM_RH_ENDORSEMENT)) a policy session is started, satisfied and flushed.
   */
  public CreatedKey create(KeyHandle parent, KeyTemplate template) throws TpmException {
    try (Auths auths = new Auths()) {
      TpmResponse resp =
          execute(
              command(CommandCode.CREATE)
                  .handle(parent.handle())
                  .auth(auths.user(parent))
                  .bytes(EMPTY_SENSITIVE_CREATE)
                  .tpm2b(template.tpmtPublic())
                  .tpm2b(new byte[0])
                  .u32(0),
              0);
      KeyOutput out = parse(CommandCode.CREATE, resp, keyOutput(false));
      return new CreatedKey(out.privateArea(), out.publicArea());
    }
  }

  /** Loads a key created under {@code parent} (TPM2_Load). */
  public TransientKey load(KeyHandle parent, CreatedKey key) throws TpmException {
    try (Auths auths = new Auths()) {
      TpmResponse resp =
          execute(
              command(CommandCode.LOAD)
                  .handle(parent.handle())
                  .auth(auths.user(parent))
                  .bytes(key.privateArea())
                  .bytes(key.publicArea()),
              1);
      int handle = resp.handles()[0];
      byte[] name =
          flushOnFailure(handle, () -> parse(CommandCode.LOAD, resp, ByteReader::sized16));
      return new TransientKey(this, handle, key.publicArea(), name);
    }
  }

  /** Create then load, e.g. an attestation key under the EK or the SRK. */
  public TransientKey createAndLoad(KeyHandle parent, KeyTemplate template) throws TpmException {
    return load(parent, create(parent, template));
  }

  /** The public area and names of a loaded or persistent object (TPM2_ReadPublic). */
  public PublicInfo readPublic(int handle) throws TpmException {
    TpmResponse resp = execute(command(CommandCode.READ_PUBLIC).handle(handle), 0);
    return parse(
        CommandCode.READ_PUBLIC, resp, r -> new PublicInfo(tpm2b(r), r.sized16(), r.sized16()));
  }

  /** A persistent key, e.g. the EK that a manufacturer stored at 0x81010001. */
  public PersistentKey persistentKey(int handle) throws TpmException {
    PublicInfo p = readPublic(handle);
    return new PersistentKey(handle, p.publicArea(), p.name());
  }

  /** Makes a loaded key persistent at {@code persistentHandle} (TPM2_EvictControl, owner). */
  public PersistentKey persist(KeyHandle key, int persistentHandle) throws TpmException {
    execute(
        command(CommandCode.EVICT_CONTROL)
            .handle(Handles.TPM_RH_OWNER)
            .handle(key.handle())
            .auth(SessionAuth.emptyPassword())
            .u32(persistentHandle),
        0);
    return new PersistentKey(persistentHandle, key.publicArea(), key.name());
  }

  /** Removes a persistent key (TPM2_EvictControl, owner). */
  public void evict(int persistentHandle) throws TpmException {
    execute(
        command(CommandCode.EVICT_CONTROL)
            .handle(Handles.TPM_RH_OWNER)
            .handle(persistentHandle)
            .auth(SessionAuth.emptyPassword())
            .u32(persistentHandle),
        0);
  }

  /** Unloads a transient object or session (TPM2_FlushContext). */
  public void flush(int handle) throws TpmException {
    execute(command(CommandCode.FLUSH_CONTEXT).u32(handle), 0);
  }

  @FunctionalInterface
  private interface TpmCall<T> {
    T call() throws TpmException;
  }

  /** Runs {@code call}; if it fails, flushes {@code handle} (just created) before rethrowing. */
  private <T> T flushOnFailure(int handle, TpmCall<T> call) throws TpmException {
    try {
      return call.call();
    } catch (TpmException e) {
      try {
        flush(handle);
      } catch (TpmException f) {
        e.addSuppressed(f);
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- attestation

  /**
   * Signs the selected PCRs with an attestation key (TPM2_Quote), using the key's own scheme.
   *
   * @param qualifyingData the verifier's nonce (at most 64 bytes), echoed as extraData
   */
  public Attestation quote(KeyHandle signer, byte[] qualifyingData, List<PcrSelection> pcrs)
      throws TpmException {
    TpmWriter sel = new TpmWriter();
    PcrSelection.writeList(sel, pcrs);
    try (Auths auths = new Auths()) {
      TpmResponse resp =
          execute(
              command(CommandCode.QUOTE)
                  .handle(signer.handle())
                  .auth(auths.user(signer))
                  .tpm2b(qualifyingData)
                  .u16(Alg.NULL)
                  .bytes(sel.toByteArray()),
              0);
      Attestation a = parse(CommandCode.QUOTE, resp, TpmClient::attestation);
      checkAttestType(a, TPM_ST_ATTEST_QUOTE);
      return a;
    }
  }

  /**
   * Has {@code signer} certify that {@code object} is loaded in this TPM (TPM2_Certify), e.g. an AK
   * certifying a key it will vouch for.
   */
  public Attestation certify(KeyHandle object, KeyHandle signer, byte[] qualifyingData)
      throws TpmException {
    try (Auths auths = new Auths()) {
      TpmResponse resp =
          execute(
              command(CommandCode.CERTIFY)
                  .handle(object.handle())
                  .handle(signer.handle())
                  .auth(auths.admin(object))
                  .auth(auths.user(signer))
                  .tpm2b(qualifyingData)
                  .u16(Alg.NULL),
              0);
      return parse(CommandCode.CERTIFY, resp, TpmClient::attestation);
    }
  }

  private static Attestation attestation(ByteReader r) throws VerificationException {
    byte[] attest = r.sized16();
    return new Attestation(attest, readSignature(r));
  }

  private static void checkAttestType(Attestation a, int type) throws TpmException {
    try {
      ByteReader r = ByteReader.bigEndian(a.attest());
      r.u32(); // magic, checked by verifiers
      if (r.u16() != type) {
        throw TpmException.protocol(null, "attestation has an unexpected type", null);
      }
    } catch (VerificationException e) {
      throw TpmException.protocol(null, "attestation too short: " + e.getMessage(), e);
    }
  }

  /** Reads one TPMT_SIGNATURE and returns its exact bytes. */
  static byte[] readSignature(ByteReader r) throws VerificationException {
    int start = r.position();
    int alg = r.u16();
    switch (alg) {
      case Alg.RSASSA, Alg.RSAPSS -> {
        r.u16();
        r.sized16();
      }
      case Alg.ECDSA, Alg.ECDAA, Alg.SM2, Alg.ECSCHNORR -> {
        r.u16();
        r.sized16();
        r.sized16();
      }
      case Alg.HMAC -> {
        int hash = r.u16();
        HashAlg h =
            HashAlg.fromTpmId(hash)
                .orElseThrow(
                    () ->
                        new VerificationException(
                            Failure.UNSUPPORTED, String.format("HMAC hash 0x%04x", hash)));
        r.skip(h.size());
      }
      case Alg.NULL -> {
        // an unsigned attestation: nothing follows
      }
      default ->
          throw new VerificationException(
              Failure.UNSUPPORTED, String.format("signature algorithm 0x%04x", alg));
    }
    return r.consumedSince(start);
  }

  /**
   * The TPM's clock and its reset and restart counters (TPM2_ReadClock). A reset count that grew
   * since the last reading means the machine rebooted (or the TPM was reset) in between.
   */
  public ClockInfo readClock() throws TpmException {
    TpmResponse resp = execute(command(CommandCode.READ_CLOCK), 0);
    return parse(
        CommandCode.READ_CLOCK,
        resp,
        r -> {
          long time = r.u64();
          long clock = r.u64();
          long resetCount = r.u32();
          long restartCount = r.u32();
          int safe = r.u8();
          if (safe > 1) {
            throw new VerificationException(Failure.MALFORMED, "TPMI_YES_NO " + safe);
          }
          return new ClockInfo(time, clock, resetCount, restartCount, safe == 1);
        });
  }

  // ---------------------------------------------------------------- NV

  /** The public area of an NV index (TPM2_NV_ReadPublic). */
  public NvPublic nvReadPublic(int index) throws TpmException {
    TpmResponse resp = execute(command(CommandCode.NV_READ_PUBLIC).handle(index), 0);
    return parse(
        CommandCode.NV_READ_PUBLIC,
        resp,
        r -> {
          ByteReader p = r.slice(r.length16("TPM2B_NV_PUBLIC"));
          int idx = p.s32();
          int nameAlg = p.u16();
          int attrs = p.s32();
          byte[] policy = p.sized16();
          int size = p.u16();
          p.expectEnd("TPMS_NV_PUBLIC");
          return new NvPublic(idx, nameAlg, attrs, policy, size, r.sized16());
        });
  }

  /**
   * Reads a whole NV index (TPM2_NV_Read) in chunks of at most TPM_PT_NV_BUFFER_MAX bytes,
   * authorizing as owner, platform or the index itself, whichever the index allows, with the empty
   * password.
   */
  public byte[] nvRead(int index) throws TpmException {
    NvPublic pub = nvReadPublic(index);
    int authHandle;
    if (pub.has(NvPublic.OWNERREAD)) {
      authHandle = Handles.TPM_RH_OWNER;
    } else if (pub.has(NvPublic.AUTHREAD)) {
      authHandle = index;
    } else if (pub.has(NvPublic.PPREAD)) {
      authHandle = Handles.TPM_RH_PLATFORM;
    } else {
      throw TpmException.protocol(
          CommandCode.NV_READ, "NV index " + Handles.hex(index) + " allows no password read", null);
    }
    int chunk = nvBufferMax();
    ByteArrayOutputStream out = new ByteArrayOutputStream(pub.dataSize());
    while (out.size() < pub.dataSize()) {
      int n = Math.min(chunk, pub.dataSize() - out.size());
      TpmResponse resp =
          execute(
              command(CommandCode.NV_READ)
                  .handle(authHandle)
                  .handle(index)
                  .auth(SessionAuth.emptyPassword())
                  .u16(n)
                  .u16(out.size()),
              0);
      byte[] data = parse(CommandCode.NV_READ, resp, ByteReader::sized16);
      if (data.length != n) {
        throw TpmException.protocol(
            CommandCode.NV_READ, "asked for " + n + " bytes, got " + data.length, null);
      }
      out.writeBytes(data);
    }
    return out.toByteArray();
  }

  /** The EK certificate (DER) stored for {@code ek}'s template. */
  public byte[] readEkCertificate(EkTemplate ek) throws TpmException {
    return nvRead(ek.certificateIndex());
  }

  // ---------------------------------------------------------------- sessions and policy

  /** Starts an unbound, unsalted policy session without parameter encryption. */
  public PolicySession startPolicySession(HashAlg hash) throws TpmException {
    TpmResponse resp =
        execute(
            command(CommandCode.START_AUTH_SESSION)
                .handle(Handles.TPM_RH_NULL)
                .handle(Handles.TPM_RH_NULL)
                .tpm2b(nonce(hash.size()))
                .tpm2b(new byte[0])
                .u8(TPM_SE_POLICY)
                .u16(Alg.NULL)
                .u16(hash.tpmId()),
            1);
    int handle = resp.handles()[0];
    flushOnFailure(handle, () -> parse(CommandCode.START_AUTH_SESSION, resp, ByteReader::sized16));
    return new PolicySession(this, handle, hash);
  }

  /**
   * TPM2_PolicySecret: asserts knowledge of {@code authHandle}'s authorization (the empty
   * password), e.g. TPM_RH_ENDORSEMENT for the EK policy.
   */
  public void policySecret(PolicySession session, int authHandle) throws TpmException {
    TpmResponse resp =
        execute(
            command(CommandCode.POLICY_SECRET)
                .handle(authHandle)
                .handle(session.handle())
                .auth(SessionAuth.emptyPassword())
                .tpm2b(new byte[0])
                .tpm2b(new byte[0])
                .tpm2b(new byte[0])
                .u32(0),
            0);
    parse(
        CommandCode.POLICY_SECRET,
        resp,
        r -> {
          r.sized16(); // timeout
          r.u16(); // ticket tag
          r.u32(); // ticket hierarchy
          return r.sized16(); // ticket digest
        });
  }

  /** The session's current policy digest (TPM2_PolicyGetDigest). */
  public byte[] policyGetDigest(PolicySession session) throws TpmException {
    return parse(
        CommandCode.POLICY_GET_DIGEST,
        execute(command(CommandCode.POLICY_GET_DIGEST).handle(session.handle()), 0),
        ByteReader::sized16);
  }

  /**
   * Recovers a credential secret (TPM2_ActivateCredential): the TPM checks that {@code activated}
   * is loaded beside {@code ek} and decrypts what the verifier protected for the pair.
   *
   * @param idObject the contents of the TPM2B_ID_OBJECT (credential blob)
   * @param encryptedSecret the contents of the TPM2B_ENCRYPTED_SECRET
   */
  public byte[] activateCredential(
      KeyHandle activated, KeyHandle ek, byte[] idObject, byte[] encryptedSecret)
      throws TpmException {
    try (Auths auths = new Auths()) {
      TpmResponse resp =
          execute(
              command(CommandCode.ACTIVATE_CREDENTIAL)
                  .handle(activated.handle())
                  .handle(ek.handle())
                  .auth(auths.admin(activated))
                  .auth(auths.user(ek))
                  .tpm2b(idObject)
                  .tpm2b(encryptedSecret),
              0);
      return parse(CommandCode.ACTIVATE_CREDENTIAL, resp, ByteReader::sized16);
    }
  }

  /**
   * Chooses the authorization for a key role: the empty password when the role allows the
   * authValue, else a policy session satisfying the EK policy. Sessions it starts are flushed when
   * the scope closes, also after failures.
   */
  private final class Auths implements AutoCloseable {
    private final List<PolicySession> started = new ArrayList<>();

    SessionAuth user(KeyHandle key) throws TpmException {
      TpmPublic p = key.parsedPublic();
      return ObjectAttributes.has(p.objectAttributes(), ObjectAttributes.USER_WITH_AUTH)
          ? SessionAuth.emptyPassword()
          : policy(key, p);
    }

    SessionAuth admin(KeyHandle key) throws TpmException {
      TpmPublic p = key.parsedPublic();
      return ObjectAttributes.has(p.objectAttributes(), ObjectAttributes.ADMIN_WITH_POLICY)
          ? policy(key, p)
          : SessionAuth.emptyPassword();
    }

    private SessionAuth policy(KeyHandle key, TpmPublic p) throws TpmException {
      if (p.nameAlg() != HashAlg.SHA256
          || !Arrays.equals(p.authPolicy(), KeyTemplate.EK_POLICY_A_SHA256)) {
        throw TpmException.protocol(
            null,
            "key " + Handles.hex(key.handle()) + " needs a policy this client cannot satisfy",
            null);
      }
      PolicySession s = startPolicySession(HashAlg.SHA256);
      started.add(s);
      policySecret(s, Handles.TPM_RH_ENDORSEMENT);
      return s.auth(nonce(HashAlg.SHA256.size()));
    }

    @Override
    public void close() throws TpmException {
      TpmException first = null;
      for (PolicySession s : started) {
        try {
          s.close();
        } catch (TpmException e) {
          if (first == null) {
            first = e;
          } else {
            first.addSuppressed(e);
          }
        }
      }
      if (first != null) {
        throw first;
      }
    }
  }

  /** Closes the transport; loaded objects are the caller's to flush first. */
  @Override
  public void close() throws TpmException {
    transport.close();
  }
}
