//! Website visits: the visitor's address masked before anything keeps
//! it, and a page view reduced to what the policy says is collected
//! (P15: the page, the referring site, the time, a screen class and a
//! language; anonymised at collection).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address with its host part zeroed: IPv4 keeps its first three
/// octets, IPv6 its first 48 bits; an IPv4 address written as IPv6
/// (`::ffff:a.b.c.d`) is masked, and returned, as IPv4.
pub fn mask(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(mask_v4(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(mask_v4(v4)),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !((1u128 << 80) - 1))),
        },
    }
}

fn mask_v4(ip: Ipv4Addr) -> Ipv4Addr {
    let [a, b, c, _] = ip.octets();
    Ipv4Addr::new(a, b, c, 0)
}

/// A network, as `--trusted-proxy` names it: an address, or an address
/// and a prefix length (`10.0.0.0/8`, `fd00::/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(s: &str) -> Result<Network, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let base: IpAddr = addr.trim().parse().map_err(|_| {
            format!("`{s}` is not an IP address or network (e.g. 10.0.0.1 or 10.0.0.0/8)")
        })?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length is 0 to {max}"))?,
            None => max,
        };
        Ok(Network { base, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.base), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let keep = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                n.to_bits() & keep == a.to_bits() & keep
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let keep = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                n.to_bits() & keep == a.to_bits() & keep
            }
            _ => false,
        }
    }
}

/// IPv4 written as IPv6 is IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The visitor's address: the connection's peer, unless the peer is a
/// trusted proxy, in which case the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy. A header from
/// anyone else, or one that does not parse, is ignored.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[Network]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    let mut client = peer;
    for hop in header.rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            return client;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// The kind of record a page view is: the policy's retention rule for
/// it says how long views are kept.
pub const KIND: &str = "page-view";

/// The longest path kept, in bytes.
pub const PATH_LIMIT: usize = 512;

/// How wide the visitor's screen is, in three classes: nothing finer
/// that could tell visitors apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Screen {
    Small,
    Medium,
    Large,
}

impl Screen {
    pub fn id(self) -> &'static str {
        match self {
            Screen::Small => "small",
            Screen::Medium => "medium",
            Screen::Large => "large",
        }
    }
}

/// A page view as it is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageView {
    /// The page's path, without query or fragment (they can carry
    /// anything, e-mail addresses included).
    pub path: String,
    /// Only the referring site's host, and only another site's.
    pub referrer_host: Option<String>,
    pub screen: Option<Screen>,
    /// The primary language subtag (`sv`, `en`).
    pub lang: Option<String>,
}

impl PageView {
    /// What the page reported, reduced to what is kept; refuses a path
    /// that is not one.
    pub fn new(
        path: &str,
        referrer: Option<&str>,
        screen: Option<Screen>,
        lang: Option<&str>,
        own_host: Option<&str>,
    ) -> Result<PageView, String> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        if !path.starts_with('/') || path.chars().any(char::is_control) {
            return Err("`path` is the page's path, starting with /".to_owned());
        }
        let mut end = path.len().min(PATH_LIMIT);
        while !path.is_char_boundary(end) {
            end -= 1;
        }
        let path = path.get(..end).unwrap_or("/").to_owned();
        let referrer_host = referrer
            .and_then(host_of)
            .filter(|h| own_host.is_none_or(|own| !h.eq_ignore_ascii_case(own)));
        let lang = lang
            .and_then(|l| l.split(['-', '_']).next())
            .map(str::to_ascii_lowercase)
            .filter(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()));
        Ok(PageView {
            path,
            referrer_host,
            screen,
            lang,
        })
    }
}

/// The host of an absolute http(s) URL, lower-cased, without port or
/// credentials.
fn host_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| format!("{h}]"))?
    } else {
        host.split(':').next()?.to_owned()
    };
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-[]:".contains(&b));
    ok.then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn masked(s: &str) -> String {
        mask(s.parse().unwrap()).to_string()
    }

    #[test]
    fn ipv4_loses_its_last_octet() {
        assert_eq!(masked("192.168.17.254"), "192.168.17.0");
        assert_eq!(masked("8.8.8.8"), "8.8.8.0");
        assert_eq!(masked("255.255.255.255"), "255.255.255.0");
        assert_eq!(masked("0.0.0.0"), "0.0.0.0");
    }

    #[test]
    fn ipv6_keeps_only_its_first_48_bits() {
        assert_eq!(
            masked("2001:db8:85a3:8d3:1319:8a2e:370:7348"),
            "2001:db8:85a3::"
        );
        assert_eq!(
            masked("2001:db8:85a3:ffff:ffff:ffff:ffff:ffff"),
            "2001:db8:85a3::"
        );
        assert_eq!(masked("::1"), "::");
        assert_eq!(masked("fe80::1%1".split('%').next().unwrap()), "fe80::");
    }

    #[test]
    fn ipv4_written_as_ipv6_is_masked_as_ipv4() {
        assert_eq!(masked("::ffff:203.0.113.77"), "203.0.113.0");
        assert_eq!(masked("::ffff:cb00:714d"), "203.0.113.0");
    }

    #[test]
    fn malformed_addresses_do_not_parse_and_do_not_pass_as_clients() {
        for bad in [
            "",
            "300.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "::gg",
            "example.com",
            "1.2.3.4 ",
            "[::1]",
        ] {
            assert!(bad.parse::<IpAddr>().is_err(), "{bad}");
        }
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let proxies = [Network::parse("10.0.0.0/8").unwrap()];
        assert_eq!(client_address(peer, Some("not an address"), &proxies), peer);
        assert_eq!(client_address(peer, Some(""), &proxies), peer);
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let proxies = [
            Network::parse("10.0.0.0/8").unwrap(),
            Network::parse("fd00::/8").unwrap(),
        ];
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "198.51.100.4".parse().unwrap();
        // Through the proxy: the client it saw.
        assert_eq!(client_address(proxy, Some("203.0.113.9"), &proxies), client);
        // Through two proxies, with a forged first hop the client sent.
        assert_eq!(
            client_address(proxy, Some("1.1.1.1, 203.0.113.9, 10.9.9.9"), &proxies),
            client
        );
        // From anyone else the header is the sender's claim: ignored.
        assert_eq!(
            client_address(stranger, Some("203.0.113.9"), &proxies),
            stranger
        );
        assert_eq!(client_address(proxy, None, &proxies), proxy);
        // A mapped proxy address is the proxy.
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(
            client_address(mapped, Some("203.0.113.9"), &proxies),
            client
        );
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("proxy").is_err());
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(client));
    }

    #[test]
    fn a_page_view_keeps_only_what_the_policy_names() {
        let v = PageView::new(
            "/kontakt?email=anna@example.se#form",
            Some("https://user:pw@www.Google.se:443/search?q=winston"),
            Some(Screen::Small),
            Some("sv-SE"),
            Some("winston.se"),
        )
        .unwrap();
        assert_eq!(v.path, "/kontakt");
        assert_eq!(v.referrer_host.as_deref(), Some("www.google.se"));
        assert_eq!(v.lang.as_deref(), Some("sv"));
        let own = PageView::new(
            "/",
            Some("https://winston.se/a"),
            None,
            None,
            Some("winston.se"),
        )
        .unwrap();
        assert_eq!(
            own.referrer_host, None,
            "a page of the site itself is no referrer"
        );
        assert!(PageView::new("kontakt", None, None, None, None).is_err());
        assert!(PageView::new("/a\nb", None, None, None, None).is_err());
        let long = PageView::new(
            &format!("/{}", "å".repeat(600)),
            None,
            None,
            Some("x1"),
            None,
        )
        .unwrap();
        assert!(long.path.len() <= PATH_LIMIT);
        assert_eq!(long.lang, None);
        assert_eq!(
            PageView::new("/", Some("javascript:alert(1)"), None, None, None)
                .unwrap()
                .referrer_host,
            None
        );
    }
}
