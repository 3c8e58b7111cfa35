//! The letters of the proposal loop, in zh-CN (the default) and English.
//!
//! A [`Letter`] is structured — greeting, paragraphs, a table of facts, one action link, notes —
//! and rendered twice: plain text, and HTML through an auto-escaping template, so names and
//! needs typed by people can never inject markup. The compose functions below say what each
//! letter tells: the need in plain words, why this partner (the matched terms), what the
//! partnership would close for the county, and how to answer.
//!
//! Contact details follow PIPL art. 23: the letter to the enterprise names the partner and
//! institution only; addresses are exchanged in [`contacts`] after both sides accepted.

use askama::Template;

use crate::{Error, Result};

/// The language of a letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文 (the default).
    #[default]
    Zh,
    /// English, for recipients who prefer it.
    En,
}

impl Lang {
    /// Chooses English for a name written without any Chinese character (a foreign
    /// institution), Chinese otherwise.
    pub fn for_name(name: &str) -> Self {
        let has_cjk = name.chars().any(|c| {
            ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
        });
        if name.trim().is_empty() || has_cjk {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    fn pick(self, zh: &str, en: &str) -> String {
        match self {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// The one link a letter asks the reader to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// The button's words.
    pub label: String,
    /// Where it goes.
    pub url: String,
}

/// A letter before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// Its language.
    pub lang: Lang,
    /// The subject line.
    pub subject: String,
    /// The salutation.
    pub greeting: String,
    /// The body.
    pub paragraphs: Vec<String>,
    /// Label–value rows.
    pub facts: Vec<(String, String)>,
    /// The link to follow.
    pub action: Option<Action>,
    /// Small print after the link.
    pub notes: Vec<String>,
    /// The sign-off.
    pub signature: String,
}

/// A rendered letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

#[derive(Template)]
#[template(path = "letter.html")]
struct LetterHtml<'a> {
    letter: &'a Letter,
    html_lang: &'static str,
}

impl Letter {
    fn new(lang: Lang, subject: String, greeting: String, signature: &str) -> Self {
        Self {
            lang,
            subject,
            greeting,
            paragraphs: Vec::new(),
            facts: Vec::new(),
            action: None,
            notes: Vec::new(),
            signature: signature.to_owned(),
        }
    }

    /// Renders the text and HTML parts.
    pub fn render(&self) -> Result<Rendered> {
        let colon = match self.lang {
            Lang::Zh => "：",
            Lang::En => ": ",
        };
        let mut text = format!("{}\n\n", self.greeting);
        for paragraph in &self.paragraphs {
            text.push_str(paragraph);
            text.push_str("\n\n");
        }
        for (label, value) in &self.facts {
            text.push_str(&format!("{label}{colon}{value}\n"));
        }
        if !self.facts.is_empty() {
            text.push('\n');
        }
        if let Some(action) = &self.action {
            text.push_str(&format!("{}{colon}{}\n\n", action.label, action.url));
        }
        for note in &self.notes {
            text.push_str(note);
            text.push_str("\n\n");
        }
        text.push_str(&self.signature);
        text.push('\n');
        let html = LetterHtml {
            letter: self,
            html_lang: match self.lang {
                Lang::Zh => "zh-CN",
                Lang::En => "en",
            },
        }
        .render()
        .map_err(|error| Error::Render(error.to_string()))?;
        Ok(Rendered {
            subject: self.subject.clone(),
            text,
            html,
        })
    }
}

/// What a letter about a proposal says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProposalFacts {
    /// The county (临朐县).
    pub county: String,
    /// The enterprise's name.
    pub enterprise: String,
    /// Its town.
    pub town: String,
    /// Its industry chain (Chinese label).
    pub industry: String,
    /// Its products.
    pub products: String,
    /// Its open, non-confidential needs, as "title: description".
    pub needs: Vec<String>,
    /// The lab's or expert's name.
    pub partner: String,
    /// The partner's institution.
    pub institution: String,
    /// Words of the needs found in the partner's profile.
    pub matched_terms: Vec<String>,
    /// What the partnership would close: `A`, `B`.
    pub closes: Vec<String>,
    /// A renewal (续签) of a partnership that ends this year: what the matcher said of it
    /// (合作将于 2026-12-15 到期，建议续签).
    pub renewal: Option<String>,
}

fn closes_in_words(facts: &ProposalFacts, lang: Lang) -> String {
    let a = facts.closes.iter().any(|code| code == "A");
    let b = facts.closes.iter().any(|code| code == "B");
    match (lang, a, b) {
        (Lang::Zh, true, true) => {
            "一次合作即可同时补齐该企业的“产学研合作”和“研发机构+研发人员”两项覆盖（例如共建联合研发中心）".to_owned()
        }
        (Lang::Zh, true, false) => "合作可补齐该企业的“产学研合作”覆盖".to_owned(),
        (Lang::Zh, false, true) => "合作可补齐该企业的“研发机构+研发人员”覆盖".to_owned(),
        (Lang::En, true, true) => {
            "one partnership (e.g. a joint R&D centre) would give the enterprise both coverages: a university cooperation and an R&D institution with staff".to_owned()
        }
        (Lang::En, true, false) => "the partnership would give the enterprise its university cooperation".to_owned(),
        (Lang::En, false, true) => "the partnership would give the enterprise an R&D institution with R&D staff".to_owned(),
        (_, false, false) => String::new(),
    }
}

fn need_lines(facts: &ProposalFacts, lang: Lang) -> String {
    if facts.needs.is_empty() {
        let products = if facts.products.is_empty() {
            facts.industry.clone()
        } else {
            facts.products.clone()
        };
        return match lang {
            Lang::Zh => format!("企业尚未发布具体技术需求；主要产品：{products}"),
            Lang::En => format!("No technical need posted yet; main products: {products}"),
        };
    }
    facts.needs.join("；")
}

fn proposal_facts_table(facts: &ProposalFacts, lang: Lang) -> Vec<(String, String)> {
    let mut rows = vec![
        (
            lang.pick("企业", "Enterprise"),
            format!("{}（{}，{}）", facts.enterprise, facts.town, facts.industry),
        ),
        (
            lang.pick("技术需求", "Technical needs"),
            need_lines(facts, lang),
        ),
    ];
    if !facts.matched_terms.is_empty() {
        rows.push((
            lang.pick("推荐理由", "Why you"),
            match lang {
                Lang::Zh => format!("您的研究方向与需求相符：{}", facts.matched_terms.join("、")),
                Lang::En => format!("your work matches: {}", facts.matched_terms.join(", ")),
            },
        ));
    }
    if let Some(renewal) = &facts.renewal {
        rows.push((
            lang.pick("续签", "Renewal"),
            match lang {
                Lang::Zh => format!("您与该企业现有的合作{}", renewal.trim_start_matches("合作")),
                Lang::En => "your current partnership with this enterprise ends this year; the bureau proposes to renew it".to_owned(),
            },
        ));
    }
    let closes = closes_in_words(facts, lang);
    if !closes.is_empty() {
        rows.push((lang.pick("对县里的意义", "What it closes"), closes));
    }
    rows
}

fn bureau(county: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{county}科学技术局"),
        Lang::En => format!("Science and Technology Bureau of {county}"),
    }
}

/// The proposal to a lab or an expert, with the answer link (`reminder` > 0 for a reminder).
pub fn partner_proposal(
    facts: &ProposalFacts,
    answer_url: &str,
    expires_on: &str,
    lang: Lang,
    reminder: u32,
) -> Letter {
    let subject = match (lang, reminder) {
        (Lang::Zh, 0) => format!("关于{}的产学研合作建议", facts.enterprise),
        (Lang::Zh, _) => format!("【提醒】关于{}的产学研合作建议", facts.enterprise),
        (Lang::En, 0) => format!(
            "A research partnership with {} ({})",
            facts.enterprise, facts.county
        ),
        (Lang::En, _) => format!("Reminder: a research partnership with {}", facts.enterprise),
    };
    let greeting = match lang {
        Lang::Zh => format!("{}：您好！", facts.partner),
        Lang::En => format!("Dear {},", facts.partner),
    };
    let mut letter = Letter::new(lang, subject, greeting, &bureau(&facts.county, lang));
    letter.paragraphs.push(match lang {
        Lang::Zh => format!(
            "{}正在推动规模以上工业企业“两个全覆盖”（产学研合作全覆盖、研发机构和研发人员全覆盖）。经科技局工作人员审核，我们推荐{}（{}）与贵方开展合作。",
            facts.county, facts.enterprise, facts.town
        ),
        Lang::En => format!(
            "{} wants every large manufacturer to cooperate with a university or institute and to have an R&D institution with R&D staff. Reviewed by bureau staff, we propose that {} ({}) works with you.",
            facts.county, facts.enterprise, facts.town
        ),
    });
    if reminder > 0 {
        letter.paragraphs.push(lang.pick(
            "我们尚未收到您的答复。无论接受与否，请用下面的链接告诉我们，一分钟即可完成。",
            "We have not heard from you yet. Whether yes or no, the link below takes a minute.",
        ));
    }
    letter.facts = proposal_facts_table(facts, lang);
    letter.action = Some(Action {
        label: lang.pick(
            "查看并答复（无需注册）",
            "View and answer (no account needed)",
        ),
        url: answer_url.to_owned(),
    });
    letter.notes.push(match lang {
        Lang::Zh => format!(
            "链接仅供您本人使用，{expires_on} 前有效，答复一次后失效。接受即表示您同意科技局将您的姓名、单位和联系方式提供给该企业（《个人信息保护法》第二十三条）；谢绝时请选择原因，我们据此改进推荐。"
        ),
        Lang::En => format!(
            "This link is for you only, valid until {expires_on} and good for one answer. Accepting means you agree that the bureau gives your name, institution and contact to the enterprise (PIPL art. 23); if you decline, a reason helps us propose better."
        ),
    });
    letter
}

/// The question to the enterprise once the partner accepted.
pub fn enterprise_ask(facts: &ProposalFacts, answer_url: &str, expires_on: &str) -> Letter {
    let lang = Lang::Zh;
    let subject = format!("{}愿与贵公司开展产学研合作，请确认", facts.partner);
    let greeting = format!("{}：您好！", facts.enterprise);
    let mut letter = Letter::new(lang, subject, greeting, &bureau(&facts.county, lang));
    letter.paragraphs.push(format!(
        "科技局推荐的合作方{}（{}）已同意与贵公司合作。请确认是否接受；双方均接受后，我们会把双方的联系方式发给彼此，并协助签订合作协议。",
        facts.partner, facts.institution
    ));
    letter.facts = proposal_facts_table(facts, lang);
    letter.facts.retain(|(label, _)| label != "推荐理由");
    letter.facts.push((
        "合作方".to_owned(),
        format!("{}（{}）", facts.partner, facts.institution),
    ));
    if !facts.matched_terms.is_empty() {
        letter
            .facts
            .push(("匹配依据".to_owned(), facts.matched_terms.join("、")));
    }
    letter.action = Some(Action {
        label: "查看并确认".to_owned(),
        url: answer_url.to_owned(),
    });
    letter.notes.push(format!(
        "链接 {expires_on} 前有效，确认一次后失效。如有疑问，请联系负责贵公司的科技局工作人员。"
    ));
    letter
}

/// The other side's contact, after both accepted.
pub fn contacts(
    facts: &ProposalFacts,
    to_partner: bool,
    other_name: &str,
    other_contact: &str,
    lang: Lang,
) -> Letter {
    let (to, other) = if to_partner {
        (facts.partner.as_str(), facts.enterprise.as_str())
    } else {
        (facts.enterprise.as_str(), facts.partner.as_str())
    };
    let subject = match lang {
        Lang::Zh => format!("双方已确认：{}与{}的合作", facts.enterprise, facts.partner),
        Lang::En => format!("Both agreed: {} and {}", facts.enterprise, facts.partner),
    };
    let greeting = match lang {
        Lang::Zh => format!("{to}：您好！"),
        Lang::En => format!("Dear {to},"),
    };
    let mut letter = Letter::new(lang, subject, greeting, &bureau(&facts.county, lang));
    letter.paragraphs.push(match lang {
        Lang::Zh => format!("{other}也已确认合作。以下是对方的联系方式，请直接联系；签订技术合同或共建平台后，请把合同编号告诉科技局，以便登记。"),
        Lang::En => format!("{other} has agreed as well. Here is their contact; once a contract is signed or a joint platform built, please tell the bureau its number so it can be recorded."),
    });
    letter
        .facts
        .push((lang.pick("联系人", "Contact"), other_name.to_owned()));
    letter
        .facts
        .push((lang.pick("联系方式", "E-mail"), other_contact.to_owned()));
    letter
}

/// A proposal nobody answered, to the responsible staff member or the bureau.
pub fn escalation(
    facts: &ProposalFacts,
    waiting_for: &str,
    days: i64,
    reminders: i32,
    desk_url: &str,
) -> Letter {
    let lang = Lang::Zh;
    let subject = format!("无回复：{}与{}的合作建议", facts.enterprise, facts.partner);
    let mut letter = Letter::new(lang, subject, "您好：".to_owned(), "labbridge");
    letter.paragraphs.push(format!(
        "这条已发送的合作建议 {days} 天没有回复（已提醒 {reminders} 次），正在等待{waiting_for}答复。请电话联系或撤回。"
    ));
    letter.facts = proposal_facts_table(facts, lang);
    letter.facts.push((
        "合作方".to_owned(),
        format!("{}（{}）", facts.partner, facts.institution),
    ));
    letter.action = Some(Action {
        label: "在工作台查看".to_owned(),
        url: desk_url.to_owned(),
    });
    letter
}

/// What the weekly digest reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DigestFacts {
    /// The county.
    pub county: String,
    /// Covered / total today, and the rate.
    pub covered: u32,
    /// The roster's size.
    pub total: u32,
    /// Covered seven days ago (same roster).
    pub covered_week_ago: u32,
    /// Partnerships that became active in the last seven days.
    pub activated_this_week: usize,
    /// Proposals waiting for review.
    pub awaiting_review: usize,
    /// Proposals sent without an answer past the reminder period.
    pub silent: Vec<String>,
    /// Partnerships ending within 90 days, as "enterprise — partner (date)".
    pub ending: Vec<String>,
    /// Mails that could not be delivered.
    pub dead_mail: u64,
    /// The desk's address.
    pub desk_url: String,
}

/// The weekly digest for staff.
pub fn digest(facts: &DigestFacts) -> Letter {
    let lang = Lang::Zh;
    let rate = if facts.total == 0 {
        0.0
    } else {
        f64::from(facts.covered) * 100.0 / f64::from(facts.total)
    };
    let subject = format!(
        "{}“两个全覆盖”周报：{}/{}（{rate:.1}%）",
        facts.county, facts.covered, facts.total
    );
    let mut letter = Letter::new(lang, subject, "您好：".to_owned(), "labbridge");
    let change = i64::from(facts.covered) - i64::from(facts.covered_week_ago);
    letter.paragraphs.push(format!(
        "全县“两个全覆盖” {}/{}（{rate:.1}%），较上周{}；本周新增生效合作 {} 项。",
        facts.covered,
        facts.total,
        match change {
            0 => "持平".to_owned(),
            up if up > 0 => format!("增加 {up} 家"),
            down => format!("减少 {} 家", -down),
        },
        facts.activated_this_week
    ));
    letter
        .facts
        .push(("待审核的建议".to_owned(), facts.awaiting_review.to_string()));
    letter
        .facts
        .push(("无回复的建议".to_owned(), facts.silent.len().to_string()));
    letter.facts.push((
        "90 天内到期的合作".to_owned(),
        facts.ending.len().to_string(),
    ));
    letter
        .facts
        .push(("未能送达的邮件".to_owned(), facts.dead_mail.to_string()));
    if !facts.silent.is_empty() {
        letter
            .notes
            .push(format!("无回复：{}", facts.silent.join("；")));
    }
    if !facts.ending.is_empty() {
        letter
            .notes
            .push(format!("即将到期：{}", facts.ending.join("；")));
    }
    letter.action = Some(Action {
        label: "打开工作台".to_owned(),
        url: facts.desk_url.clone(),
    });
    letter
}

/// A test letter, to check the mail settings (`labbridge outbox test`).
pub fn test_letter(number: u64, county: &str) -> Letter {
    let mut letter = Letter::new(
        Lang::Zh,
        format!("labbridge 测试邮件 #{number}（{county}）"),
        "您好：".to_owned(),
        "labbridge",
    );
    letter.paragraphs.push(
        "这是一封测试邮件：收到即说明 labbridge 的邮件设置正确。This is a test message.".to_owned(),
    );
    letter
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> ProposalFacts {
        ProposalFacts {
            county: "临朐县".into(),
            enterprise: "ABC铝业有限公司".into(),
            town: "城关街道".into(),
            industry: "铝材深加工".into(),
            products: "铝型材".into(),
            needs: vec!["铝合金时效工艺优化：提高6063强度".into()],
            partner: "李<b>明".into(),
            institution: "山东大学".into(),
            matched_terms: vec!["铝合金".into(), "时效".into()],
            closes: vec!["A".into(), "B".into()],
            renewal: None,
        }
    }

    #[test]
    fn a_renewal_says_so() {
        let renewal = ProposalFacts {
            closes: vec!["A".into()],
            renewal: Some("合作将于 2026-12-15 到期，建议续签".into()),
            ..facts()
        };
        let letter = partner_proposal(&renewal, "https://x/answer/t", "2026-12-31", Lang::Zh, 0);
        let rendered = letter.render().expect("render");
        assert!(
            rendered
                .text
                .contains("您与该企业现有的合作将于 2026-12-15 到期，建议续签"),
            "{}",
            rendered.text
        );
        assert!(!letter.render().expect("render").text.contains("两项覆盖"));
    }

    #[test]
    fn a_proposal_says_what_why_and_how_and_escapes_names() {
        let letter = partner_proposal(&facts(), "https://x/answer/t", "2026-12-31", Lang::Zh, 0);
        assert_eq!(letter.subject, "关于ABC铝业有限公司的产学研合作建议");
        let rendered = letter.render().expect("render");
        for wanted in [
            "铝合金时效工艺优化",
            "铝合金、时效",
            "两项覆盖",
            "https://x/answer/t",
            "第二十三条",
        ] {
            assert!(
                rendered.text.contains(wanted),
                "{wanted}: {}",
                rendered.text
            );
            assert!(rendered.html.contains(wanted), "{wanted}");
        }
        assert!(rendered.text.contains("李<b>明"));
        assert!(
            rendered.html.contains("李&#60;b&#62;明") || rendered.html.contains("李&lt;b&gt;明"),
            "{}",
            rendered.html
        );
        let reminder = partner_proposal(&facts(), "u", "d", Lang::Zh, 1);
        assert!(reminder.subject.starts_with("【提醒】"));
    }

    #[test]
    fn english_for_names_without_chinese() {
        assert_eq!(Lang::for_name("University of Cambridge"), Lang::En);
        assert_eq!(Lang::for_name("山东大学"), Lang::Zh);
        assert_eq!(Lang::for_name(""), Lang::Zh);
        let letter = partner_proposal(&facts(), "u", "2026-12-31", Lang::En, 0);
        let rendered = letter.render().expect("render");
        assert!(
            rendered.text.contains("no account needed"),
            "{}",
            rendered.text
        );
        assert!(rendered.html.contains("lang=\"en\""));
    }

    #[test]
    fn the_enterprise_learns_no_contact_before_both_accept() {
        let ask = enterprise_ask(&facts(), "u", "d").render().expect("render");
        assert!(!ask.text.contains('@'), "{}", ask.text);
        let contact = contacts(&facts(), false, "李明", "li@sdu.edu.cn", Lang::Zh)
            .render()
            .expect("render");
        assert!(contact.text.contains("li@sdu.edu.cn"));
    }
}
