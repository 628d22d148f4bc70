package dev.vouch.evidence.snp;

import dev.vouch.core.VerificationException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The AMD certificates and CRLs found among caller-supplied files, recognised by content: DER or
 * PEM certificates (a VCEK or VLEK has an EC key; the ASK, ASVK and ARK have RSA keys; the ARK is
 * self-issued) and DER or PEM CRLs. Files that are neither (other kinds' collateral, the report
 * itself) are ignored. Self-issued certificates are kept apart and never trusted.
 */
final class SnpCollateral {
  final List<AmdCertificate> veks = new ArrayList<>();
  final List<AmdCertificate> intermediates = new ArrayList<>();
  final List<AmdCertificate> selfIssued = new ArrayList<>();
  final List<AmdCrl> crls = new ArrayList<>();

  void add(ParsedFile f) {
    for (AmdCertificate c : f.certificates()) {
      if (c.selfIssued()) {
        selfIssued.add(c);
      } else if (c.isEc()) {
        veks.add(c);
      } else {
        intermediates.add(c);
      }
    }
    crls.addAll(f.crls());
  }

  /** What one file holds. */
  record ParsedFile(List<AmdCertificate> certificates, List<AmdCrl> crls) {
    static final ParsedFile EMPTY = new ParsedFile(List.of(), List.of());

    static ParsedFile parse(byte[] file) {
      List<AmdCertificate> certs = new ArrayList<>();
      List<AmdCrl> crls = new ArrayList<>();
      if (Pem.looksLikePem(file)) {
        for (Pem.Block b : Pem.blocks(file)) {
          if (b.label().equals("CERTIFICATE")) {
            tryCertificate(b.der(), certs);
          } else if (b.label().equals("X509 CRL")) {
            tryCrl(b.der(), crls);
          }
        }
      } else if (file.length > 0 && file[0] == 0x30) {
        if (!tryCertificate(file, certs)) {
          tryCrl(file, crls);
        }
      }
      return certs.isEmpty() && crls.isEmpty()
          ? EMPTY
          : new ParsedFile(List.copyOf(certs), List.copyOf(crls));
    }

    private static boolean tryCertificate(byte[] der, List<AmdCertificate> out) {
      try {
        out.add(AmdCertificate.parse(der));
        return true;
      } catch (VerificationException e) {
        return false;
      }
    }

    private static void tryCrl(byte[] der, List<AmdCrl> out) {
      try {
        out.add(AmdCrl.parse(der));
      } catch (VerificationException e) {
        // neither a certificate nor a CRL: another kind's collateral
      }
    }
  }

  /**
   * Parsed files by exact content, so that collateral passed again with every verification is
   * parsed (and its signatures checked) once. Keys are compared byte for byte, never by a digest.
   * Bounded: when full it starts over, which costs one re-parse per file.
   */
  static final class Cache {
    private static final int MAX_ENTRIES = 512;
    private final Map<Key, ParsedFile> files = new ConcurrentHashMap<>();

    ParsedFile get(byte[] file) {
      Key k = new Key(file);
      ParsedFile f = files.get(k);
      if (f == null) {
        f = ParsedFile.parse(file);
        if (files.size() >= MAX_ENTRIES) {
          files.clear();
        }
        files.put(new Key(file.clone()), f);
      }
      return f;
    }

    private record Key(byte[] bytes) {
      @Override
      public boolean equals(Object o) {
        return o instanceof Key k && Arrays.equals(bytes, k.bytes);
      }

      @Override
      public int hashCode() {
        return Arrays.hashCode(bytes);
      }
    }
  }
}
