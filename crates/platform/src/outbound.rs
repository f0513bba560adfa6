//! Calls to URLs third parties give us (a shipping base's callback): only public hosts, unless a
//! setting allows private ones (a test setup, a closed network). Without this, a base could point
//! its callback at `127.0.0.1` or a cloud metadata address and have us post there (SSRF).
//!
//! Checked twice: when the URL is registered, and when it is called, by a resolver that drops
//! private addresses, so a name that later resolves to a private address is refused too.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use reqwest::{
    Url,
    dns::{Addrs, Name, Resolve, Resolving},
};

pub const MAX_URL_LEN: usize = 2000;

/// Whether third-party URLs may name private or local hosts; shared as app data where URLs are
/// registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetPolicy {
    pub allow_private: bool,
}

impl TargetPolicy {
    pub fn check(&self, url: &str) -> Result<Url, String> {
        check_url(url, self.allow_private)
    }
}

/// Whether an address is reachable on the public internet. One policy for every address we may
/// call, literal or resolved: IPv4 by the IANA special-purpose registry (`ip_network`'s
/// `is_global`: private, shared, loopback, link-local, benchmarking, documentation, reserved …),
/// plus multicast; an IPv6 address that carries an IPv4 address (mapped, translated, NAT64 at
/// `64:ff9b::/96`, 6to4) is judged by that IPv4 address; any other IPv6 address must be global
/// unicast (`2000::/3`) outside the IETF protocol assignments (`2001::/23`: Teredo, benchmarking,
/// ORCHID) and the documentation ranges.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    ip_network::Ipv4Network::from(ip).is_global() && !ip.is_multicast() && !ip.is_unspecified()
}

/// The IPv4 address an IPv6 address stands for, where its form says it carries one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Some(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => v4(hi, lo), // IPv4-mapped (::ffff:0:0/96)
        [0, 0, 0, 0, 0xffff, 0, hi, lo] => v4(hi, lo), // IPv4-translated (::ffff:0:0:0/96)
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => v4(hi, lo), // NAT64 well-known prefix (RFC 6052)
        [0x2002, hi, lo, ..] => v4(hi, lo),            // 6to4 (RFC 3056)
        _ => None,
    }
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let global_unicast = (s[0] & 0xe000) == 0x2000;
    global_unicast
        && !(s[0] == 0x2001 && s[1] < 0x0200) // IETF protocol assignments (2001::/23)
        && !(s[0] == 0x2001 && s[1] == 0x0db8) // documentation (2001:db8::/32)
        && !(s[0] == 0x3fff && s[1] < 0x1000) // documentation (3fff::/20)
}

/// Checks a URL a third party gave: http(s), a host, no credentials, and (unless
/// `allow_private`) not a private address or a local name.
pub fn check_url(url: &str, allow_private: bool) -> Result<Url, String> {
    if url.len() > MAX_URL_LEN {
        return Err(format!("at most {MAX_URL_LEN} characters"));
    }
    let parsed = Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("an http or https URL".to_owned());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry credentials".to_owned());
    }
    let host = match parsed.host() {
        Some(host) => host,
        None => return Err("needs a host".to_owned()),
    };
    if allow_private {
        return Ok(parsed);
    }
    let public = match host {
        url::Host::Ipv4(ip) => is_public(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => is_public(IpAddr::V6(ip)),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            !(name == "localhost" || name.ends_with(".localhost") || name.ends_with(".internal") || !name.contains('.'))
        }
    };
    if public { Ok(parsed) } else { Err("must be a public host (private and local addresses are refused)".to_owned()) }
}

/// A resolver that keeps only public addresses: a callback host resolving to a private address
/// is unreachable through a client built with it.
#[derive(Debug, Default, Clone, Copy)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// A client for third-party URLs: with the public-only resolver unless `allow_private`.
pub fn client_builder(allow_private: bool) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if allow_private { builder } else { builder.dns_resolver(Arc::new(PublicOnlyResolver)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 7, finding 10: a base's callback accepted 127.0.0.1 and 169.254.169.254.
    #[test]
    fn x3_private_and_local_targets_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8082/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/",
            "http://192.168.1.1/",
            "http://172.16.0.1/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:8080/",
            "http://api.localhost/",
            "http://metadata.google.internal/",
            "http://intranet/",
            "ftp://example.com/",
            "http://user:pw@example.com/",
            "not a url",
        ] {
            assert!(check_url(url, false).is_err(), "{url} was accepted");
        }
        for url in [
            "https://hooks.example.com/groupbuy",
            "http://203.0.114.7:8080/x",
            "https://[2a00:1450::1]/",
            "http://[64:ff9b::808:808]/",
            "http://[2002:808:808::1]/",
        ] {
            assert!(check_url(url, false).is_ok(), "{url} was refused");
        }
        assert!(check_url("http://127.0.0.1:8082/hook", true).is_ok());
        assert!(check_url("ftp://127.0.0.1/", true).is_err());
    }

    /// Issue 22, finding 12: IPv6 forms that carry a private IPv4 address, and reserved ranges,
    /// passed the check.
    #[test]
    fn abuse_12_ipv6_forms_of_private_addresses_are_refused() {
        for url in [
            "http://[64:ff9b::a9fe:a9fe]/",                   // NAT64 of 169.254.169.254
            "http://[64:ff9b::7f00:1]/",                      // NAT64 of 127.0.0.1
            "http://[64:ff9b:1::a00:5]/",                     // local-use NAT64
            "http://[2002:a9fe:a9fe::1]/",                    // 6to4 of 169.254.169.254
            "http://[2002:c0a8:101::1]/",                     // 6to4 of 192.168.1.1
            "http://[::ffff:a9fe:a9fe]/",                     // IPv4-mapped
            "http://[::ffff:0:a00:5]/",                       // IPv4-translated of 10.0.0.5
            "http://[::a9fe:a9fe]/",                          // IPv4-compatible
            "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", // Teredo
            "http://[2001:2::1]/",                            // benchmarking
            "http://[2001:db8::1]/",                          // documentation
            "http://[3fff::1]/",                              // documentation
            "http://[100::1]/",                               // discard-only
            "http://[fec0::1]/",                              // site-local
            "http://[ff02::1]/",                              // multicast
            "http://198.18.0.1/",                             // benchmarking
            "http://192.0.2.1/",                              // documentation
            "http://224.0.0.1/",                              // multicast
        ] {
            assert!(check_url(url, false).is_err(), "{url} was accepted");
        }
    }

    #[tokio::test]
    async fn x3_the_resolver_drops_private_addresses() {
        let name: Name = "localhost".parse().unwrap();
        assert!(PublicOnlyResolver.resolve(name).await.is_err());
    }
}
