//! What the broker keeps in Redis and sends through it: channel and key
//! names, the framing of a message, and the script that publishes a
//! retained one.
//!
//! | what | name | holds |
//! |---|---|---|
//! | a topic's channel | `<prefix>topic:<topic>` | its messages: the notification as published (`{...`), or `<number> {...` for a retained topic |
//! | a retained topic's hash | `<prefix>retained:<topic>` | `number` (how many messages it has had) and `message` (the last one) |

use bytes::Bytes;

/// Publishes a retained message: numbers it, stores it, and publishes it
/// with its number, in one step (a script runs whole), so that the stored
/// message and the number every process sees agree.
///
/// KEYS[1]: the topic's hash; ARGV[1]: the message; ARGV[2]: the channel.
/// Answers the message's number.
pub(crate) const PUBLISH_RETAINED: &str = "\
local number = redis.call('HINCRBY', KEYS[1], 'number', 1)
redis.call('HSET', KEYS[1], 'message', ARGV[1])
redis.call('PUBLISH', ARGV[2], string.format('%d ', number) .. ARGV[1])
return number";

/// Channel and key names under a prefix.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    channel_prefix: String,
    key_prefix: String,
}

impl Names {
    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            channel_prefix: format!("{prefix}topic:"),
            key_prefix: format!("{prefix}retained:"),
        }
    }

    pub(crate) fn channel(&self, topic: &str) -> String {
        format!("{}{topic}", self.channel_prefix)
    }

    pub(crate) fn retained_key(&self, topic: &str) -> String {
        format!("{}{topic}", self.key_prefix)
    }

    /// The topic a channel carries; `None` for a channel not of these names.
    pub(crate) fn topic_of<'c>(&self, channel: &'c [u8]) -> Option<&'c str> {
        let topic = channel.strip_prefix(self.channel_prefix.as_bytes())?;
        std::str::from_utf8(topic).ok()
    }
}

/// A message as it comes through a channel.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// A plain topic's notification.
    Plain(Bytes),
    /// A retained topic's notification and its number.
    Numbered(u64, Bytes),
}

/// Reads a channel's payload: a notification (it starts with `{`), or a
/// number, a space and a notification. `None` for anything else.
pub(crate) fn read_payload(payload: Bytes) -> Option<Incoming> {
    match payload.first()? {
        b'{' => Some(Incoming::Plain(payload)),
        b'0'..=b'9' => {
            let space = payload.iter().position(|&byte| byte == b' ')?;
            let number = std::str::from_utf8(&payload[..space]).ok()?.parse().ok()?;
            let message = payload.slice(space + 1..);
            (message.first() == Some(&b'{')).then_some(Incoming::Numbered(number, message))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::{read_payload, Incoming, Names};

    #[test]
    fn payloads_read_as_plain_or_numbered_notifications() {
        let plain = Bytes::from_static(br#"{"jsonrpc":"2.0","method":"news","params":[1]}"#);
        assert_eq!(
            read_payload(plain.clone()),
            Some(Incoming::Plain(plain.clone()))
        );
        let numbered = Bytes::from_static(br#"42 {"jsonrpc":"2.0","method":"w","params":[]}"#);
        assert_eq!(
            read_payload(numbered),
            Some(Incoming::Numbered(
                42,
                Bytes::from_static(br#"{"jsonrpc":"2.0","method":"w","params":[]}"#)
            ))
        );
        for garbage in [
            &b""[..],
            b"42",
            b"42 x",
            b"x {}",
            b"-1 {}",
            b"99999999999999999999999 {}",
        ] {
            assert_eq!(
                read_payload(Bytes::from_static(garbage)),
                None,
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn channels_name_their_topic_under_the_prefix() {
        let names = Names::new("app:");
        assert_eq!(names.channel("news"), "app:topic:news");
        assert_eq!(names.retained_key("news"), "app:retained:news");
        assert_eq!(names.topic_of(b"app:topic:news"), Some("news"));
        assert_eq!(names.topic_of(b"other:topic:news"), None);
    }
}
