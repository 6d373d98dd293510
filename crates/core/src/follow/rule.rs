//! Which of a channel's uploads belong to a topic: the project's own search rules (every query
//! word, as a word prefix, in the title or the description), so a feed stores exactly what
//! `/search?q=<topic>` would find, and nothing else the channel posts.

use crate::text::{index_words, matches, query_terms};
use crate::video::{Topic, Video};

#[derive(Debug, Clone)]
pub struct TopicRule {
    terms: Vec<String>,
}

impl TopicRule {
    pub fn of(topic: &Topic) -> Self {
        Self {
            terms: query_terms(topic.as_str()),
        }
    }

    pub fn admits(&self, v: &Video) -> bool {
        !self.terms.is_empty() && matches(&index_words(&v.title, &v.description), &self.terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::{ChannelId, LiveBroadcast, Thumbnails, VideoId};

    fn video(title: &str, description: &str) -> Video {
        Video {
            id: VideoId::parse("v1").unwrap(),
            title: title.into(),
            description: description.into(),
            published_at: chrono::DateTime::UNIX_EPOCH,
            channel_id: ChannelId::parse("UCx").unwrap(),
            channel_title: "C".into(),
            thumbnails: Thumbnails::default(),
            live_broadcast_content: LiveBroadcast::None,
            details: None,
        }
    }

    #[test]
    fn every_word_as_a_prefix_in_title_or_description() {
        let rule = TopicRule::of(&Topic::parse("ipl cricket").unwrap());
        assert!(rule.admits(&video("Cricket highlights", "IPL 2026 final")));
        assert!(rule.admits(&video("Cricketer's day at the IPL", "")));
        assert!(!rule.admits(&video("Cricket highlights", "the test series")));
        assert!(!rule.admits(&video("Cooking with Priya", "pasta night")));
        let accented = TopicRule::of(&Topic::parse("café").unwrap());
        assert!(accented.admits(&video("Cafe racer build", "")));
    }
}
