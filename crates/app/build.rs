//! Writes Mozilla's root certificates (from `webpki-root-certs`) as one PEM bundle for the AWS
//! SDK's HTTPS client, so that no certificate file is read or encoded when a Lambda starts.

use base64::Engine;

fn main() {
    let mut pem = String::new();
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    std::fs::write(out.join("webpki-roots.pem"), pem).unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    println!("cargo:rerun-if-changed=build.rs");
}
