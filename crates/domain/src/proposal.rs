//! The life of a proposal (推荐), from the matcher to a partnership that counts for coverage.
//!
//! Every status, action, actor and decline reason is an enum here, and [`transition`] is the
//! one table that says which action may move which status where. The store keeps the English
//! codes; pages show the Chinese labels. Nothing else in the code base compares status strings:
//! a new state or rule changes this file, and the property tests below check the table.
//!
//! ```text
//! proposed ──approve──▶ approved ──mail delivered──▶ sent ──partner accepts──▶ accepted_by_partner
//!    │ reject / exclude / supersede      │                 └─partner declines─▶ declined_by_partner
//!    ▼                                   └─(answers may arrive before the delivery is recorded)
//! rejected · excluded · superseded
//! accepted_by_partner ──enterprise accepts──▶ accepted (partnership in draft) ──evidence──▶ active
//!                     └─enterprise declines─▶ declined_by_enterprise
//! withdrawn: staff take back anything not yet active; expired: nobody answered in time, or an
//! active partnership's term ended.
//! ```

use serde::{Deserialize, Serialize};

use crate::Error;

macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = ($code:literal, $zh:literal, $en:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Returns the stable lower_snake English code (what the registry and the API hold).
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Returns the Chinese label.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// Returns the English label.
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            /// Parses the English code or the Chinese label.
            pub fn parse(raw: &str) -> crate::Result<Self> {
                let wanted = crate::text::fold_width(raw.trim());
                $(
                    if wanted.eq_ignore_ascii_case($code) || wanted == $zh {
                        return Ok($name::$variant);
                    }
                )+
                let codes: Vec<&str> = Self::ALL.iter().map(|value| value.code()).collect();
                Err(Error::new(format!(
                    "'{}' is not a known {} (one of: {})",
                    raw,
                    stringify!($name),
                    codes.join(", ")
                )))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str(self.code())
            }
        }
    };
}

coded_enum! {
    /// Where a proposal stands.
    ProposalStatus {
        /// Made by the matcher, awaiting staff review.
        Proposed = ("proposed", "待审", "awaiting review"),
        /// Approved by staff; the mail to the partner is queued.
        Approved = ("approved", "已批准", "approved"),
        /// Rejected by staff.
        Rejected = ("rejected", "已驳回", "rejected"),
        /// The proposal reached the partner's mail server.
        Sent = ("sent", "已发送", "sent"),
        /// The partner accepted; the enterprise is asked.
        AcceptedByPartner = ("accepted_by_partner", "合作方已接受", "accepted by partner"),
        /// The partner declined, with a reason.
        DeclinedByPartner = ("declined_by_partner", "合作方已谢绝", "declined by partner"),
        /// Both sides accepted: a partnership in draft, awaiting its evidence.
        Accepted = ("accepted", "双方已接受", "accepted by both"),
        /// The enterprise declined.
        DeclinedByEnterprise = ("declined_by_enterprise", "企业已谢绝", "declined by enterprise"),
        /// Evidence recorded: the partnership counts for coverage.
        Active = ("active", "合作生效", "active"),
        /// Taken back by staff.
        Withdrawn = ("withdrawn", "已撤回", "withdrawn"),
        /// Nobody answered in time, or the partnership's term ended.
        Expired = ("expired", "已过期", "expired"),
        /// Replaced by a later run of the matcher.
        Superseded = ("superseded", "已被替换", "superseded"),
        /// Staff excluded the pair from matching for good.
        Excluded = ("excluded", "已排除", "excluded"),
    }
}

coded_enum! {
    /// What happens to a proposal.
    ProposalAction {
        /// The matcher (or an exclusion by hand) creates it: the first event, from no status.
        Propose = ("propose", "生成建议", "propose"),
        /// Staff approve it for sending.
        Approve = ("approve", "批准", "approve"),
        /// Staff reject it.
        Reject = ("reject", "驳回", "reject"),
        /// Staff exclude the pair for good.
        Exclude = ("exclude", "排除", "exclude"),
        /// Staff undo an exclusion of a matcher proposal (it awaits review again).
        Unexclude = ("unexclude", "撤销排除", "undo exclusion"),
        /// A re-run of the matcher replaces it.
        Supersede = ("supersede", "替换", "supersede"),
        /// The partner's mail was accepted by its mail server.
        MailDelivered = ("mail_delivered", "邮件已送达", "mail delivered"),
        /// The partner accepts.
        PartnerAccept = ("partner_accept", "合作方接受", "partner accepts"),
        /// The partner declines.
        PartnerDecline = ("partner_decline", "合作方谢绝", "partner declines"),
        /// The enterprise accepts.
        EnterpriseAccept = ("enterprise_accept", "企业接受", "enterprise accepts"),
        /// The enterprise declines.
        EnterpriseDecline = ("enterprise_decline", "企业谢绝", "enterprise declines"),
        /// Staff record the partnership's evidence.
        RecordEvidence = ("record_evidence", "登记合作凭证", "record evidence"),
        /// Staff withdraw it.
        Withdraw = ("withdraw", "撤回", "withdraw"),
        /// Time ran out (no answer, or the partnership's term ended).
        Expire = ("expire", "过期", "expire"),
    }
}

coded_enum! {
    /// Why a partner or an enterprise declined (a code is required on every decline).
    DeclineReason {
        /// 方向不符: not my field. The pair is excluded from later runs.
        DirectionMismatch = ("direction_mismatch", "方向不符", "not my field"),
        /// 精力不足: no time now. The partner's capacity is lowered for a period.
        NoCapacity = ("no_capacity", "精力不足", "no capacity now"),
        /// 需求不清: the need is unclear. Staff follow up with the enterprise.
        NeedUnclear = ("need_unclear", "需求不清", "need unclear"),
        /// 条件不成熟: too early. The pair is held back for a period.
        NotReady = ("not_ready", "条件不成熟", "too early"),
        /// 已有合作: they already cooperate. The pair is excluded from later runs.
        AlreadyCooperating = ("already_cooperating", "已有合作", "already cooperating"),
        /// 其他: anything else (the note says what).
        Other = ("other", "其他", "other"),
    }
}

coded_enum! {
    /// Which coverages an enterprise misses (the proposal's gap).
    GapCode {
        /// A: no cooperation.
        A = ("A", "缺产学研合作", "no cooperation"),
        /// B: no R&D institution with staff.
        B = ("B", "缺研发机构和人员", "no R&D institution"),
        /// Both.
        Ab = ("AB", "两项均缺", "both missing"),
    }
}

coded_enum! {
    /// Who did something to a proposal.
    ActorKind {
        /// A staff member (login), the command line or the staff API token.
        Staff = ("staff", "工作人员", "staff"),
        /// The partner, through the answer link in their mail.
        PartnerLink = ("partner_link", "合作方（邮件链接）", "partner (mail link)"),
        /// The enterprise, through its answer link.
        EnterpriseLink = ("enterprise_link", "企业（邮件链接）", "enterprise (mail link)"),
        /// An enterprise user, signed in to the portal.
        Enterprise = ("enterprise", "企业用户", "enterprise user"),
        /// The system: the matcher, the outbox worker, the clock.
        System = ("system", "系统", "system"),
    }
}

coded_enum! {
    /// Which side of a proposal an answer link belongs to.
    Party {
        /// The lab or expert.
        Partner = ("partner", "合作方", "partner"),
        /// The enterprise.
        Enterprise = ("enterprise", "企业", "enterprise"),
    }
}

/// What a decline feeds into the next run of the matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeclineEffect {
    /// The pair is never proposed again.
    pub exclude_pair: bool,
    /// The pair is held back for the hold period.
    pub hold_pair: bool,
    /// The partner's capacity is lowered by one for the busy period.
    pub lower_capacity: bool,
    /// Staff should follow up on the enterprise's need.
    pub follow_up: bool,
}

impl DeclineReason {
    /// Returns what this reason does to later matching.
    ///
    /// 方向不符 and 已有合作 exclude the pair; every other reason holds the pair back for a
    /// while (asking again next week would ignore the answer), and 精力不足 also lowers the
    /// partner's capacity, 需求不清 also asks staff to follow up.
    pub fn effect(self) -> DeclineEffect {
        let exclude_pair = matches!(
            self,
            DeclineReason::DirectionMismatch | DeclineReason::AlreadyCooperating
        );
        DeclineEffect {
            exclude_pair,
            hold_pair: !exclude_pair,
            lower_capacity: self == DeclineReason::NoCapacity,
            follow_up: self == DeclineReason::NeedUnclear,
        }
    }
}

impl ProposalStatus {
    /// Whether nothing can happen to it any more.
    pub fn is_final(self) -> bool {
        ALLOWED.iter().all(|(from, _, _)| *from != self)
    }

    /// Whether it still holds a place of the partner's and the enterprise's capacity (a
    /// proposal under way or a partnership): everything but `proposed` and the refusals.
    pub fn holds_capacity(self) -> bool {
        matches!(
            self,
            ProposalStatus::Approved
                | ProposalStatus::Sent
                | ProposalStatus::AcceptedByPartner
                | ProposalStatus::Accepted
                | ProposalStatus::Active
        )
    }

    /// Whether a side is waiting for the partner's or the enterprise's answer.
    pub fn awaits(self) -> Option<Party> {
        match self {
            ProposalStatus::Approved | ProposalStatus::Sent => Some(Party::Partner),
            ProposalStatus::AcceptedByPartner => Some(Party::Enterprise),
            _ => None,
        }
    }
}

/// The transition table: (from, action, to). [`transition`] reads only this.
pub const ALLOWED: &[(ProposalStatus, ProposalAction, ProposalStatus)] = {
    use ProposalAction as A;
    use ProposalStatus as S;
    &[
        (S::Proposed, A::Approve, S::Approved),
        (S::Proposed, A::Reject, S::Rejected),
        (S::Proposed, A::Exclude, S::Excluded),
        (S::Proposed, A::Supersede, S::Superseded),
        (S::Proposed, A::Withdraw, S::Withdrawn),
        (S::Excluded, A::Unexclude, S::Proposed),
        (S::Approved, A::MailDelivered, S::Sent),
        // An answer may come back before the worker has recorded the delivery.
        (S::Approved, A::PartnerAccept, S::AcceptedByPartner),
        (S::Approved, A::PartnerDecline, S::DeclinedByPartner),
        (S::Approved, A::Withdraw, S::Withdrawn),
        (S::Sent, A::PartnerAccept, S::AcceptedByPartner),
        (S::Sent, A::PartnerDecline, S::DeclinedByPartner),
        (S::Sent, A::Withdraw, S::Withdrawn),
        (S::Sent, A::Expire, S::Expired),
        (S::AcceptedByPartner, A::EnterpriseAccept, S::Accepted),
        (
            S::AcceptedByPartner,
            A::EnterpriseDecline,
            S::DeclinedByEnterprise,
        ),
        (S::AcceptedByPartner, A::Withdraw, S::Withdrawn),
        (S::AcceptedByPartner, A::Expire, S::Expired),
        (S::Accepted, A::RecordEvidence, S::Active),
        (S::Accepted, A::Withdraw, S::Withdrawn),
        (S::Active, A::Expire, S::Expired),
    ]
};

/// An action that the table does not allow from a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a proposal that is {} ({}) cannot be moved by '{}' ({})", .from.code(), .from.label(), .action.code(), .action.label())]
pub struct TransitionError {
    /// The status it was in.
    pub from: ProposalStatus,
    /// The action refused.
    pub action: ProposalAction,
}

/// Returns the status an action moves a proposal to, or why it cannot.
pub fn transition(
    from: ProposalStatus,
    action: ProposalAction,
) -> Result<ProposalStatus, TransitionError> {
    ALLOWED
        .iter()
        .find(|(allowed_from, allowed_action, _)| {
            *allowed_from == from && *allowed_action == action
        })
        .map(|(_, _, to)| *to)
        .ok_or(TransitionError { from, action })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_status() -> impl Strategy<Value = ProposalStatus> {
        proptest::sample::select(ProposalStatus::ALL)
    }

    fn any_action() -> impl Strategy<Value = ProposalAction> {
        proptest::sample::select(ProposalAction::ALL)
    }

    #[test]
    fn codes_round_trip_and_chinese_labels_parse() {
        for status in ProposalStatus::ALL {
            assert_eq!(ProposalStatus::parse(status.code()).expect("code"), *status);
            assert_eq!(
                ProposalStatus::parse(status.label()).expect("label"),
                *status
            );
        }
        for reason in DeclineReason::ALL {
            assert_eq!(
                DeclineReason::parse(reason.label()).expect("label"),
                *reason
            );
        }
        assert_eq!(
            DeclineReason::parse("方向不符").expect("zh"),
            DeclineReason::DirectionMismatch
        );
        assert!(ProposalStatus::parse("declined").is_err());
    }

    #[test]
    fn the_happy_path_reaches_active() {
        use ProposalAction as A;
        let mut status = ProposalStatus::Proposed;
        for action in [
            A::Approve,
            A::MailDelivered,
            A::PartnerAccept,
            A::EnterpriseAccept,
            A::RecordEvidence,
        ] {
            status = transition(status, action).expect("allowed");
        }
        assert_eq!(status, ProposalStatus::Active);
        assert!(transition(status, A::PartnerDecline).is_err());
    }

    #[test]
    fn the_table_is_a_function_and_final_states_have_no_exit() {
        for (index, (from, action, _)) in ALLOWED.iter().enumerate() {
            assert!(
                ALLOWED[index + 1..]
                    .iter()
                    .all(|(other_from, other_action, _)| (other_from, other_action)
                        != (from, action)),
                "{from} × {action} appears twice"
            );
        }
        for status in [
            ProposalStatus::Rejected,
            ProposalStatus::DeclinedByPartner,
            ProposalStatus::DeclinedByEnterprise,
            ProposalStatus::Withdrawn,
            ProposalStatus::Expired,
            ProposalStatus::Superseded,
        ] {
            assert!(status.is_final(), "{status}");
        }
        assert!(
            !ProposalStatus::Excluded.is_final(),
            "an exclusion can be undone"
        );
    }

    #[test]
    fn decline_reasons_feed_matching() {
        assert!(DeclineReason::DirectionMismatch.effect().exclude_pair);
        assert!(DeclineReason::AlreadyCooperating.effect().exclude_pair);
        assert!(DeclineReason::NoCapacity.effect().lower_capacity);
        assert!(DeclineReason::NotReady.effect().hold_pair);
        assert!(DeclineReason::NeedUnclear.effect().follow_up);
        for reason in DeclineReason::ALL {
            let effect = reason.effect();
            assert_ne!(effect.exclude_pair, effect.hold_pair, "{reason}");
        }
    }

    proptest! {
        /// Any sequence of actions, allowed or not, only ever follows the table's edges, and a
        /// refused action changes nothing.
        #[test]
        fn random_sequences_stay_on_the_table(
            start in any_status(),
            actions in proptest::collection::vec(any_action(), 0..40),
        ) {
            let mut status = start;
            for action in actions {
                match transition(status, action) {
                    Ok(next) => {
                        prop_assert!(ALLOWED.contains(&(status, action, next)));
                        status = next;
                    }
                    Err(error) => {
                        prop_assert_eq!(error.from, status);
                        prop_assert!(!ALLOWED.iter().any(|(from, allowed, _)| *from == status && *allowed == action));
                    }
                }
            }
        }
    }
}
