#!/usr/bin/env python3
"""Independent reader of OCI layouts encrypted for the Confidential Containers key provider.

Written for Vouch's tests from the published formats (CoCo keyprovider's annotation JSON and
ocicrypt's AES_256_CTR_HMAC_SHA256 layer options), on Python's `cryptography` (OpenSSL), so that
`vouch image encrypt` output is read by code that shares nothing with Vouch's Java.

usage: keyprovider_decrypt.py LAYOUT TAG KEK_FILE OUT_DIR
Decrypts every layer of the manifest tagged TAG; writes each plain layer to OUT_DIR/<hex digest>.
Exit 0 when every layer authenticates and hashes to the digest recorded for it, 1 otherwise.
"""
import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ANNOTATION = "org.opencontainers.image.enc.keys.provider.attestation-agent"
PUBOPTS = "org.opencontainers.image.enc.pubopts"


def blob(layout, digest):
    alg, hexd = digest.split(":", 1)
    with open(os.path.join(layout, "blobs", alg, hexd), "rb") as f:
        data = f.read()
    if hashlib.new(alg, data).hexdigest() != hexd:
        raise SystemExit(f"blob {digest} differs from its digest")
    return data


def main(layout, tag, kek_file, out_dir):
    with open(kek_file, "rb") as f:
        kek = f.read()
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    [desc] = [m for m in index["manifests"]
              if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    manifest = json.loads(blob(layout, desc["digest"]))
    count = 0
    for layer in manifest["layers"]:
        ann = layer.get("annotations", {})
        if ANNOTATION not in ann:
            continue
        packet = json.loads(base64.b64decode(ann[ANNOTATION]))
        if packet["wrap_type"] != "A256GCM":
            raise SystemExit("unexpected wrap type " + packet["wrap_type"])
        # the tag is appended to the ciphertext; no associated data
        opts = json.loads(AESGCM(kek).decrypt(
            base64.b64decode(packet["iv"]), base64.b64decode(packet["wrapped_data"]), None))
        pub = json.loads(base64.b64decode(ann[PUBOPTS]))
        if pub["cipher"] != "AES_256_CTR_HMAC_SHA256":
            raise SystemExit("unexpected cipher " + pub["cipher"])
        key = base64.b64decode(opts["symkey"])
        nonce = base64.b64decode(opts["cipheroptions"]["nonce"])
        enc = blob(layout, layer["digest"])
        mac = hmac.new(key, enc, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, base64.b64decode(pub["hmac"])):
            raise SystemExit("layer HMAC does not verify")
        d = Cipher(algorithms.AES(key), modes.CTR(nonce)).decryptor()
        plain = d.update(enc) + d.finalize()
        alg, hexd = opts["digest"].split(":", 1)
        if hashlib.new(alg, plain).hexdigest() != hexd:
            raise SystemExit("decrypted layer differs from its recorded digest")
        with open(os.path.join(out_dir, hexd), "wb") as f:
            f.write(plain)
        count += 1
    if count == 0:
        raise SystemExit("no key-provider layer")
    print(f"decrypted {count} layer(s)")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except SystemExit:
        raise
    except Exception as e:  # any parse or authentication failure is a refusal
        print(f"refused: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
