//! Realistic generated content: mixed scripts, emoji, the punctuation that YouTube escapes in
//! titles, long descriptions that get cut, live and upcoming broadcasts.
//!
//! Templates are topic-neutral; `{t}` is the topic exactly as configured, and every title
//! template contains it so that `q=<topic>` always finds the topic's videos.

use fastrand::Rng;

use crate::config::LiveState;
use crate::ids;

const TEAMS: &[&str] = &[
    "India",
    "Australia",
    "England",
    "Pakistan",
    "South Africa",
    "New Zealand",
    "Sri Lanka",
    "Bangladesh",
    "West Indies",
    "Afghanistan",
    "Mumbai",
    "Chennai",
    "Kolkata",
    "Lahore",
    "Sydney",
    "Manchester",
    "Madrid",
    "Riyadh",
    "Kochi",
    "Tokyo",
    "Osaka",
    "Guangzhou",
];

const PLAYERS: &[&str] = &[
    "Sharma",
    "O'Brien",
    "Williamson",
    "Rashid",
    "Okafor",
    "Tanaka",
    "Al-Faraj",
    "Menon",
    "Zhang Wei",
    "D'Souza",
    "García",
    "Nakamura",
    "Iyer",
    "Hassan",
];

const TITLES: &[&str] = &[
    "{A} vs {B} | {t} highlights | Match {n} 🔥",
    "Can't stop watching this {t} finish! 😱",
    "Top 10 {t} moments of {y} — you won't believe #3",
    "{P}'s \"impossible\" {t} catch | {A} vs {B}",
    "{t}: {A} & {B} share the points in a thriller",
    "{t} press conference: \"We'll come back stronger\" — {P}",
    "Why {A} lost: <{t} tactics> explained",
    "{t} news today | {A} squad announced & injury update",
    "Funniest {t} fails 😂 | Compilation #{n}",
    "{A} v {B} – Full {t} Match Replay (HD)",
    "Learn {t} in 10 minutes | Beginner's guide",
    "{t} shorts 🏏🔥 #shorts #{h}",
    "Rain, drama & a last-ball {t} finish | {A} vs {B}",
    "{A} बनाम {B} | {t} हाइलाइट्स | आज का मैच",
    "{t} की सबसे बड़ी खबर | {P} ने रचा इतिहास 🔥",
    "【{t}】{A} 対 {B} ハイライト｜第{n}戦",
    "{t}ファン必見！{P}のスーパープレー集",
    "ملخص مباراة {A} و {B} | {t} 🏏",
    "أفضل لحظات {t} هذا الموسم",
    "{t} | {A} vs {B} | മത്സരം ഹൈലൈറ്റ്സ്",
    "{t} വാർത്തകൾ | {P} തിരിച്ചെത്തി",
    "{t} 精彩集锦 | {A} 对阵 {B} | 第{n}场",
    "{t}直播回放：{A} vs {B} 全场",
];

const LIVE_TITLES: &[&str] = &[
    "🔴 LIVE: {A} vs {B} | {t} live score & commentary",
    "{t} LIVE | {A} vs {B} | लाइव स्कोर",
    "🔴【LIVE】{t} {A} 対 {B} 生中継",
    "مباشر: {t} | {A} ضد {B} 🔴",
];

const UPCOMING_TITLES: &[&str] = &[
    "Premiere: {t} documentary — the {A} story",
    "{A} vs {B} {t} | Live from {A} | Starts soon",
    "{t} 直播预告 | {A} 对阵 {B}",
];

const DESCRIPTIONS: &[&str] = &[
    "Watch the full {t} highlights of {A} vs {B}. {P} starred with a match-winning performance as {A} chased down the target in the final over. Subscribe for more {t} videos & don't forget to hit the bell icon! #{h} #highlights",
    "{P} said \"we'll be back\" after {A}'s loss. Full press conference & analysis inside.",
    "",
    "#shorts #{h} #viral",
    "देखिए {A} और {B} के बीच {t} मुकाबले की पूरी हाइलाइट्स। {P} ने शानदार प्रदर्शन किया। ऐसे ही वीडियो के लिए चैनल को सब्सक्राइब करें और बेल आइकन दबाना न भूलें।",
    "{A}対{B}の{t}ハイライトをお届けします。チャンネル登録よろしくお願いします！",
    "شاهد ملخص مباراة {A} و {B} في {t}. لا تنسوا الاشتراك في القناة وتفعيل زر الجرس لمتابعة كل جديد.",
    "{A} vs {B} {t} മത്സരത്തിന്റെ ഹൈലൈറ്റ്സ് കാണുക. ചാനൽ സബ്സ്ക്രൈബ് ചെയ്യുക.",
    "{t}比赛精彩集锦，{A}对阵{B}。欢迎订阅频道，获取更多{t}视频！",
    "Tickets & info: https://example.com/{h} | Follow us on Instagram & X for behind-the-scenes {t} content. Music: \"Stadium Anthem\" (licensed). Filmed in {A}; edited by the {B} crew. All rights reserved © {y}.",
    "It's {t} season again! Today we break down {A}'s line-up, {P}'s form and what {B} must fix before the next game. Let us know your predictions in the comments below 👇",
];

const CHANNELS: &[&str] = &[
    "Stadium Talk",
    "Crease & Pitch TV",
    "Jamie O'Connor",
    "The Final Whistle",
    "SportsHub Live",
    "खेल समाचार",
    "Aaj Ka Khel | आज का खेल",
    "スポーツライブ JP",
    "ハイライト倉庫",
    "الرياضة اليوم",
    "قناة الملاعب",
    "Kerala Sports | കായികം",
    "Manorama Sports Live",
    "体育直播间",
    "球迷频道 FanZone",
    "Desi Sports Clips",
    "Fan Zone 🔥",
    "Highlights HQ",
    "Match Day Replay",
    "Pundit Corner",
    "Boundary Line Podcast",
    "Global Sports Network",
    "Dugout Stories",
    "Coach's Clipboard",
    "Rapid Replays",
    "Bharat Sports Live",
    "Tokyo Sports Net",
    "Gulf Sports Channel",
    "Street Games TV",
    "The \"Vault\" Classics",
];

/// Generated fields of one video.
pub(crate) struct Content {
    pub title: String,
    pub description: String,
    pub channel_id: String,
    pub channel_title: String,
    pub live: LiveState,
}

/// Chance of a generated video being a live or an upcoming broadcast.
const LIVE_SHARE: f64 = 0.03;
const UPCOMING_SHARE: f64 = 0.02;

/// Draws the live state; always consumes exactly one random number.
pub(crate) fn live_state(rng: &mut Rng) -> LiveState {
    let u = rng.f64();
    if u < LIVE_SHARE {
        LiveState::Live
    } else if u < LIVE_SHARE + UPCOMING_SHARE {
        LiveState::Upcoming
    } else {
        LiveState::None
    }
}

pub(crate) fn channel(rng: &mut Rng) -> (String, String) {
    let name = pick(rng, CHANNELS);
    (ids::channel_id(name), name.to_owned())
}

pub(crate) fn channel_title_for(channel_id: &str) -> String {
    CHANNELS
        .iter()
        .find(|n| ids::channel_id(n) == channel_id)
        .map_or_else(|| "Sports Channel".to_owned(), |n| (*n).to_owned())
}

/// One video's content for `topic`. Consumes a fixed number of random draws so that overriding
/// some fields of an injected video does not change the content of later ones.
pub(crate) fn content(rng: &mut Rng, topic: &str, live: LiveState) -> Content {
    // A team never plays itself: draw the second from the remaining ones.
    let a = rng.usize(..TEAMS.len());
    let mut b = rng.usize(..TEAMS.len() - 1);
    if b >= a {
        b += 1;
    }
    let vars = Vars {
        topic,
        hashtag: topic.chars().filter(|c| !c.is_whitespace()).collect(),
        a: TEAMS[a],
        b: TEAMS[b],
        p: pick(rng, PLAYERS),
        n: rng.u32(1..=64),
        y: rng.u32(2019..=2026),
    };
    let titles = match live {
        LiveState::Live => LIVE_TITLES,
        LiveState::Upcoming => UPCOMING_TITLES,
        LiveState::None => TITLES,
    };
    let title = vars.fill(pick(rng, titles));
    let description = vars.fill(pick(rng, DESCRIPTIONS));
    let (channel_id, channel_title) = channel(rng);
    Content {
        title,
        description,
        channel_id,
        channel_title,
        live,
    }
}

struct Vars<'a> {
    topic: &'a str,
    hashtag: String,
    a: &'static str,
    b: &'static str,
    p: &'static str,
    n: u32,
    y: u32,
}

impl Vars<'_> {
    fn fill(&self, template: &str) -> String {
        template
            .replace("{t}", self.topic)
            .replace("{h}", &self.hashtag)
            .replace("{A}", self.a)
            .replace("{B}", self.b)
            .replace("{P}", self.p)
            .replace("{n}", &self.n.to_string())
            .replace("{y}", &self.y.to_string())
    }
}

fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_title_contains_the_topic_and_content_is_varied() {
        let mut rng = Rng::with_seed(3);
        let mut titles = std::collections::HashSet::new();
        let mut channels = std::collections::HashSet::new();
        for i in 0..600 {
            let live = live_state(&mut rng);
            let c = content(&mut rng, "cricket", live);
            assert!(c.title.contains("cricket"), "{i}: {}", c.title);
            assert_eq!(c.channel_id.len(), 24);
            titles.insert(c.title);
            channels.insert(c.channel_title);
        }
        assert!(titles.len() > 300);
        assert!(channels.len() >= 25);
    }

    #[test]
    fn teams_differ() {
        let mut rng = Rng::with_seed(9);
        for _ in 0..500 {
            let c = content(&mut rng, "x", LiveState::Live);
            for t in TEAMS {
                assert!(!c.title.contains(&format!("{t} vs {t} ")), "{}", c.title);
            }
        }
    }
}
