"""Document wording: every text of the exports and the evidence pack, in one place.

The texts go through gettext like the pages' (marked with gettext_noop here, translated
when a document is written in a chosen language).

Why one module of this size: it holds two tables of texts (the exports' and the
evidence pack's) and nothing else; every document's wording in one place is the point.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop, pgettext_lazy

# --- Wording ----------------------------------------------------------------------------
#
# Headers and notes are English msgids marked for gettext (`make messages` extracts
# them), translated per export language rather than the request's, since an export in
# Chinese may be asked for from an English page.


def localise(message: str | Promise, language: str) -> str:
    """*message* (an English msgid, or a lazy one with a context) in *language*, from
    the gettext catalogue."""
    with translation.override(language):
        return gettext(message) if isinstance(message, str) else str(message)


# key -> English msgid (translated through the catalogue, locale/)
EXPORT_WORDS: dict[str, str] = {
    "rank": gettext_noop("Rank"),
    "topic": gettext_noop("Topic code"),
    "topic_name": gettext_noop("Topic"),
    "dimension": gettext_noop("ESG dimension code"),
    "dimension_name": gettext_noop("ESG dimension"),
    "n": gettext_noop("Ratings (n)"),
    "mean": gettext_noop("Mean"),
    "median": gettext_noop("Median"),
    "sd": gettext_noop("Standard deviation"),
    "ci_low": gettext_noop("%(level)s CI low"),
    "ci_high": gettext_noop("%(level)s CI high"),
    "normalised": gettext_noop("Normalised (0–100)"),
    "combined": gettext_noop("Combined score (0–100)"),
    "material": gettext_noop("Material"),
    "tier": gettext_noop("Tier code"),
    "tier_name": gettext_noop("Tier"),
    "p_material": gettext_noop("P(material)"),
    "divergence": gettext_noop("Divergence between groups"),
    "divergence_flag": gettext_noop("Groups diverge"),
    "group": gettext_noop("Group code"),
    "group_name": gettext_noop("Stakeholder group"),
    "axis": gettext_noop("Axis code"),
    "axis_name": gettext_noop("Axis"),
    "count_level": gettext_noop("Ratings of %(level)s"),
    "rank_in_run": gettext_noop("Rank in this run"),
    "rank_change": gettext_noop("Rank change (positive: higher under the other source)"),
    "sheet_overall": gettext_noop("Overall"),
    "sheet_groups": gettext_noop("By group"),
    "sheet_axis_source": gettext_noop("By axis source"),
    "sheet_run": gettext_noop("Run"),
    "sheet_responses": gettext_noop("Responses"),
    "sheet_notes": gettext_noop("Notes"),
    "high": gettext_noop("High"),
    "medium": gettext_noop("Medium"),
    "low": gettext_noop("Low"),
    "E": gettext_noop("Environmental"),
    "S": gettext_noop("Social"),
    "G": gettext_noop("Governance"),
    "internal": gettext_noop("Internal"),
    "external": gettext_noop("External"),
    "all_rate_both": gettext_noop("Every respondent rates both axes"),
    "split_internal_external": gettext_noop(
        "Internal respondents rate the company axis, external ones the other"
    ),
    "note_axis_source": gettext_noop(
        "Scores recomputed with the other axis source: %(source)s. The run's replies "
        "were read again with its quality filters and matched its input fingerprint, "
        "so only the axis source differs; weighting, thresholds, bootstrap and seed "
        "are the run's. The stored per-group scores cannot give this: they pool a "
        "group's internal and external respondents and, under the split rule, leave "
        "out the ratings given on the other axis."
    ),
    "note_axis_source_unavailable": gettext_noop(
        "Not available: the replies have changed since this run (they no longer "
        "match its input fingerprint), so its input cannot be read again, and the "
        "stored per-group scores do not tell internal from external respondents. "
        "Compute a new run and export it to compare the axis sources."
    ),
    "note_thresholds": gettext_noop(
        "Thresholds applied: %(company)s (company axis), %(stakeholder)s (stakeholder axis)."
    ),
    "code": gettext_noop("Code"),
    "run_item": gettext_noop("Item"),
    "run_value": gettext_noop("Value"),
    "assessment": gettext_noop("Assessment"),
    "period": gettext_noop("Reporting period"),
    "run": gettext_noop("Aggregation run"),
    "status": gettext_noop("Status"),
    "trigger": gettext_noop("Started by"),
    "created_at": gettext_noop("Requested at"),
    "started_at": gettext_noop("Started at"),
    "finished_at": gettext_noop("Finished at"),
    "duration_ms": gettext_noop("Duration (ms)"),
    "exported_at": gettext_noop("Exported at"),
    "fingerprint": gettext_noop("Input fingerprint (SHA-256)"),
    "responses_total": gettext_noop("Submitted responses"),
    "responses_counted": gettext_noop("Responses counted"),
    "excluded_straight_lined": gettext_noop("Excluded: straight-lined"),
    "excluded_too_fast": gettext_noop("Excluded: too fast"),
    "ratings_counted": gettext_noop("Ratings counted"),
    "too_fast_seconds": gettext_noop(
        "Too-fast limit applied (seconds; responses faster than this are excluded)"
    ),
    "too_fast_none": gettext_noop("none (rule off, or fewer responses than the rule needs)"),
    "too_fast_unknown": gettext_noop("not recoverable: the replies have changed since this run"),
    "threshold_company": gettext_noop("Threshold applied: company axis"),
    "threshold_stakeholder": gettext_noop("Threshold applied: stakeholder axis"),
    "parameter": gettext_noop("Parameter: %(name)s"),
    "filter": gettext_noop("Quality filter: %(name)s"),
    "software": gettext_noop("Software: %(name)s"),
    "response_number": gettext_noop("Response number (in order of submission)"),
    "response_id": gettext_noop("Response id"),
    "side": gettext_noop("Internal or external"),
    "language": gettext_noop("Language"),
    "submitted_on": gettext_noop("Submitted on"),
    "submitted_at": gettext_noop("Submitted at"),
    "duration": gettext_noop("Completion time (seconds)"),
    "straight_lined": gettext_noop("Straight-lined"),
    "comment": gettext_noop("comment"),
    "overall_comment": gettext_noop("Overall comment"),
    "notes_responses": gettext_noop(
        "One row per submitted response; responses still in progress are not "
        "included. Row 1 holds column codes, row 2 labels. A rating cell holds the "
        'rating, DK for "don\'t know" (not a rating: leave it out of every mean), or '
        "nothing when the cell was not answered. Straight-lined and completion time "
        "are what the quality filters use; the Run sheet of the scores export gives "
        "the too-fast limit a run applied."
    ),
    "notes_anonymised": gettext_noop(
        "Anonymised: responses are numbered in order of submission instead of by "
        "their database id, dates are given without time, and free-text comments "
        "are left out because they may name people. No e-mail address or invitation "
        "data is ever exported."
    ),
    "notes_anonymised_comments": gettext_noop(
        "Anonymised: responses are numbered in order of submission instead of by "
        "their database id and dates are given without time. Free-text comments are "
        "included as written, on request: read them before sharing this file, since "
        "they may name people. No e-mail address or invitation data is ever exported."
    ),
    "notes_identified": gettext_noop(
        "Not anonymised: for internal use only. No e-mail address or invitation data "
        "is ever exported."
    ),
}


# key -> English msgid, translated per pack language through the catalogue (locale/).
PACK_WORDS: dict[str, str | Promise] = {
    "doc_title": gettext_noop("Materiality assessment: methodology and evidence"),
    "intro": gettext_noop(
        "This document records how the material topics of %(title)s (reporting "
        "period %(period)s) were determined, for the disclosures GRI 3-1 (process to "
        "determine material topics) and GRI 3-2 (list of material topics). Every "
        "figure in it comes from aggregation run %(run)s, computed on %(date)s, "
        "whose input fingerprint is given in section 11."
    ),
    "generated": gettext_noop("Generated by Materia on %(date)s."),
    "contents": gettext_noop("Contents"),
    "process": gettext_noop("How the assessment was done"),
    "screening": gettext_noop("Topic screening sources"),
    "groups": gettext_noop("Stakeholder groups and respondents"),
    "scale": gettext_noop("Rating scale and axes"),
    "method": gettext_noop("Weighting, axis source and thresholds"),
    "filters": gettext_noop("Quality filters"),
    "matrix": gettext_noop("Materiality matrix"),
    "material_topics": gettext_noop("Material topics"),
    "change": gettext_noop("Change from the previous period"),
    "trail": gettext_noop("Confirmation trail"),
    "reproduce": gettext_noop("Input fingerprint and reproducibility"),
    "step_screening": gettext_noop(
        "Topic screening: the candidate ESG topics were compiled from the frameworks "
        "listed in section 2 and from the company's own ESG strategy."
    ),
    "step_stakeholders": gettext_noop(
        "Stakeholder engagement: the stakeholder groups of section 3 were asked to "
        "fill in an online questionnaire, through personal invitations or a link "
        "shared with their group."
    ),
    "step_rating": gettext_noop(
        "Rating: every respondent rated every topic on the two axes of section 4, "
        "or answered “don't know”."
    ),
    "step_scoring": gettext_noop(
        "Scoring: after the quality filters of section 6, the ratings were combined "
        "into mean scores with confidence intervals by the method of section 5, "
        "compared with the thresholds and ranked. The result is the matrix of "
        "section 7 and the list of section 8."
    ),
    "step_confirmation": gettext_noop(
        "Confirmation: the ESG decision group reviews the result and confirms it or "
        "sends it back; section 10 records each step."
    ),
    "screening_intro": gettext_noop(
        "Each topic of the assessment and the framework references it was screened against."
    ),
    "sources_used": gettext_noop("Sources used: %(list)s."),
    "col_topic": gettext_noop("Topic"),
    "col_dimension": gettext_noop("Dimension"),
    "col_code": gettext_noop("Code"),
    "fw_GRI": gettext_noop("GRI"),
    "fw_SASB": gettext_noop("SASB"),
    "fw_SDG": gettext_noop("SDGs"),
    "fw_NASDAQ": gettext_noop("Nasdaq"),
    "fw_STRATEGY": gettext_noop("Strategy"),
    "GRI": gettext_noop("GRI Standards"),
    "SASB": gettext_noop("SASB Standards"),
    "SDG": gettext_noop("UN Sustainable Development Goals"),
    "NASDAQ": gettext_noop("Nasdaq ESG Reporting Guide 2.0"),
    "STRATEGY": gettext_noop("Company ESG strategy"),
    "groups_intro": gettext_noop(
        "Respondents per stakeholder group. A group's side (internal or external) is "
        "its usual one; respondents answering through an open link state their own."
    ),
    "col_group": gettext_noop("Stakeholder group"),
    "col_side": gettext_noop("Internal / external"),
    "col_invited": gettext_noop("Invited"),
    "col_submitted": gettext_noop("Submitted"),
    "col_rate": gettext_noop("Response rate"),
    "col_counted": gettext_noop("Counted"),
    "total": gettext_noop("Total"),
    "groups_note_invited": gettext_noop(
        "Invited counts personal invitations only, and the response rate is the share "
        "of them that were answered. Groups reached through a shared or open link have "
        "no known number of invitees, so no rate is given for them."
    ),
    "groups_note_counted": gettext_noop(
        "Counted: responses that passed the quality filters (section 6) and went into the scores."
    ),
    "groups_note_changed": gettext_noop(
        "The replies have changed since this run: the numbers per group are as of "
        "%(date)s, while the run counted %(counted)s of %(total)s responses."
    ),
    "no_group": gettext_noop("(no group given)"),
    "scale_intro": gettext_noop("Ratings on a scale from %(min)s to %(max)s:"),
    "col_level": gettext_noop("Rating"),
    "col_meaning": gettext_noop("Meaning"),
    "dont_know": gettext_noop(
        "Respondents could answer “don't know”. It is not a rating: it is left out of "
        "every mean, so the number of ratings differs between topics."
    ),
    "axes_intro": gettext_noop("Each topic was rated on two axes:"),
    "axis_x": gettext_noop("horizontal axis of the matrix"),
    "axis_y": gettext_noop("vertical axis of the matrix"),
    "weighting": gettext_noop("Weighting"),
    "axis_source": gettext_noop("Axis source"),
    "thresholds": gettext_noop("Thresholds"),
    "material_rule": gettext_noop("What makes a topic material"),
    "tiers": gettext_noop("Tiers"),
    "ranking": gettext_noop("Ranking"),
    "uncertainty": gettext_noop("Uncertainty"),
    "divergence": gettext_noop("Divergence between groups"),
    "weighting_respondent": gettext_noop(
        "Per respondent: every rating counts the same, so groups with more respondents weigh more."
    ),
    "weighting_equal_group": gettext_noop(
        "Equal per group: every stakeholder group that rated a topic counts the same, "
        "however many of its members replied."
    ),
    "weighting_custom": gettext_noop(
        "Custom group weights: each group counts in proportion to the weight set for "
        "it (table below); a group with weight 0 does not count."
    ),
    "axis_all": gettext_noop(
        "Every respondent rated both axes, and every rating counts on the axis it was given for."
    ),
    "axis_split": gettext_noop(
        "Internal respondents' ratings give the importance to the company and external "
        "respondents' ratings the importance to stakeholders; ratings given on the "
        "other axis are not used."
    ),
    "threshold_relative": gettext_noop(
        "Relative: on each axis, the mean of all topic means plus an offset "
        "(%(company_offset)s on the company axis, %(stakeholder_offset)s on the "
        "stakeholder axis). Applied: %(company)s and %(stakeholder)s on the "
        "%(min)s–%(max)s scale."
    ),
    "threshold_fixed": gettext_noop(
        "Fixed: %(company)s on the company axis and %(stakeholder)s on the stakeholder "
        "axis, on the %(min)s–%(max)s scale."
    ),
    "material_rule_text": gettext_noop(
        "A topic is material when its mean reaches the threshold on at least one of "
        "the two axes: importance to the company and importance to stakeholders are "
        "each reason enough to report on a topic."
    ),
    "tiers_text": gettext_noop(
        "High: reaches the threshold on both axes; medium: on one axis; low: on "
        "neither (not material)."
    ),
    "ranking_text": gettext_noop(
        "Topics are ranked by their combined score, the average of the two axis means "
        "rescaled to 0–100; ties are broken by the stakeholder-axis mean, then by "
        "topic code."
    ),
    "uncertainty_text": gettext_noop(
        "%(level)s confidence intervals of every mean, from %(samples)s bootstrap "
        "resamples of the respondents within each group (random seed %(seed)s, so "
        "the run can be repeated exactly). P(material) is the share of resamples in "
        "which a topic is material: an indication of how settled its status is, not "
        "an exact probability."
    ),
    "uncertainty_off": gettext_noop(
        "The bootstrap was off for this run: no confidence intervals and no P(material)."
    ),
    "divergence_text": gettext_noop(
        "A topic is flagged when, on either axis, the means of the stakeholder groups "
        "that rated it spread by more than %(limit)s scale points (standard deviation "
        "of the group means)."
    ),
    "group_weights": gettext_noop("Group weights"),
    "col_weight": gettext_noop("Weight"),
    "rationale": gettext_noop("Why these choices"),
    "rationale_relative": gettext_noop(
        "A relative threshold keeps the cut-off meaningful when stakeholders rate "
        "nearly every topic as important, as they often do: a topic is material on "
        "an axis when it is rated at least as important as the average topic (plus "
        "the offset)."
    ),
    "rationale_fixed": gettext_noop(
        "A fixed threshold is a point on the rating scale: it reads directly against "
        "the scale's labels and stays comparable from one reporting period to the next."
    ),
    "rationale_respondent": gettext_noop(
        "Weighting per respondent treats every voice alike; the number of respondents "
        "per group (section 3) shows which groups weigh most."
    ),
    "rationale_equal_group": gettext_noop(
        "Equal weights per group keep a large group (customers, say) from outweighing "
        "small but important ones (such as regulators)."
    ),
    "rationale_custom": gettext_noop(
        "Custom weights express the company's judgement of how much each group affects, "
        "and is affected by, the business; the weights are listed above."
    ),
    "rationale_all": gettext_noop(
        "Asking every respondent about both axes uses everything each respondent knows."
    ),
    "rationale_split": gettext_noop(
        "Splitting the axes lets those inside the company judge a topic's importance "
        "to the business and those outside judge what matters to them."
    ),
    "rationale_team": gettext_noop("The ESG team's note:"),
    "col_check": gettext_noop("Check"),
    "col_setting": gettext_noop("Setting"),
    "col_excluded": gettext_noop("Responses excluded"),
    "filter_straight": gettext_noop(
        "Straight-lining: the same rating on every rated cell of the grid, with at "
        "least half of the cells rated"
    ),
    "filter_fast": gettext_noop(
        "Too fast: completion time under a fraction of the median completion time"
    ),
    "setting_on": gettext_noop("Excluded"),
    "setting_off": gettext_noop("Kept (check off)"),
    "setting_fast": gettext_noop(
        "Excluded below %(fraction)s of the median, once there are at least "
        "%(minimum)s responses; limit applied: %(limit)s"
    ),
    "setting_fast_floor": gettext_noop(
        "Excluded below %(fraction)s of the median, once there are at least "
        "%(minimum)s responses, or below %(floor)s s per grid cell, whichever is "
        "higher; limit applied: %(limit)s"
    ),
    "setting_straight_minimum": gettext_noop("Excluded (at least %(minimum)s rated cells)"),
    "seconds": gettext_noop("%(n)s s"),
    "limit_none": gettext_noop("none"),
    "limit_unknown": gettext_noop("not recoverable (the replies have changed since the run)"),
    "filter_summary": gettext_noop(
        "%(total)s responses submitted, %(excluded)s excluded, %(counted)s counted, "
        "with %(ratings)s ratings."
    ),
    "matrix_caption": gettext_noop(
        "Each point is a topic: its mean importance to the company (horizontal) and to "
        "stakeholders (vertical). The shaded area is where a topic is material: at or "
        "above the threshold on either axis (dashed lines)."
    ),
    "matrix_zone": gettext_noop("Material"),
    "matrix_footnote": gettext_noop("%(title)s · n = %(n)s responses · run %(run)s · %(date)s"),
    "material_intro": gettext_noop(
        "%(count)s of %(total)s topics are material, in order of their combined score."
    ),
    "col_rank": gettext_noop("Rank"),
    "col_tier": gettext_noop("Tier"),
    "col_p": gettext_noop("P(material)"),
    "col_company": gettext_noop("Company"),
    "col_stakeholder": gettext_noop("Stakeholders"),
    "col_combined": gettext_noop("Combined"),
    "not_material": gettext_noop("Not material: %(list)s."),
    "none_material": gettext_noop("No topic reached a threshold."),
    "no_previous": gettext_noop(
        "No previous assessment is linked to this one, so there is nothing to compare with."
    ),
    "previous_no_run": gettext_noop(
        "The previous assessment (%(title)s) has no computed result to compare with."
    ),
    "previous_intro": gettext_noop(
        "Compared with %(title)s (%(period)s, run %(run)s). A positive rank change "
        "means the topic moved up."
    ),
    "col_previous_rank": gettext_noop("Previous rank"),
    # With a context: Django's admin has its own "Change" (a link), which a plain
    # msgid of ours would translate too.
    "col_change": pgettext_lazy("evidence pack: column of rank changes", "Change"),
    "col_material_now_before": gettext_noop("Material (now / before)"),
    "col_status": gettext_noop("Status"),
    "status_new": gettext_noop("New"),
    "status_dropped": gettext_noop("No longer assessed"),
    "new_topics": gettext_noop("New topics: %(list)s."),
    "dropped_topics": gettext_noop("Topics no longer assessed: %(list)s."),
    "newly_material": gettext_noop("Newly material: %(list)s."),
    "no_longer_material": gettext_noop("No longer material: %(list)s."),
    "no_status_change": gettext_noop(
        "No topic assessed in both periods changed its material status."
    ),
    "col_when": gettext_noop("When"),
    "col_who": gettext_noop("Who"),
    "col_action": gettext_noop("Action"),
    "col_note": gettext_noop("Note"),
    "not_confirmed": gettext_noop("Not yet confirmed"),
    "not_confirmed_note": gettext_noop(
        "No one has reviewed or confirmed this result yet. Use it in the report only "
        "once the ESG decision group has confirmed it."
    ),
    "fingerprint": gettext_noop("Input fingerprint (SHA-256)"),
    "fingerprint_note": gettext_noop(
        "A SHA-256 hash of the rating counts, the topics and groups, the parameters "
        "and the scoring version. Two runs with the same fingerprint had the same "
        "input and give the same result."
    ),
    "fact_run": gettext_noop("Aggregation run"),
    "fact_computed": gettext_noop("Computed"),
    "fact_duration": gettext_noop("Duration"),
    "fact_software": gettext_noop("Software"),
    "fact_thresholds": gettext_noop("Thresholds applied"),
    "fact_too_fast": gettext_noop("Too-fast limit applied"),
    "milliseconds": gettext_noop("%(n)s ms"),
    "thresholds_value": gettext_noop("company axis %(company)s, stakeholder axis %(stakeholder)s"),
    "parameters": gettext_noop("Parameters as recorded with the run"),
    "how_to_check": gettext_noop("How to check the numbers"),
    "check_export": gettext_noop(
        "Export the responses (CSV or XLSX, anonymised): one row per submitted "
        "response, with its group, internal or external side, completion time, "
        "straight-lining flag and every rating, “DK” for “don't know”."
    ),
    "check_filter": gettext_noop("Drop the responses this run excluded: %(rules)s."),
    "check_rule_straight": gettext_noop("the straight-lined ones"),
    "check_rule_fast": gettext_noop("those completed in under %(limit)s seconds"),
    "check_rule_none": gettext_noop("none"),
    "check_rule_unknown": gettext_noop(
        "the too-fast limit can no longer be recovered, since the replies have changed"
    ),
    "check_means": gettext_noop(
        "For each topic and axis, average each group's ratings (DK is not a rating) "
        "and combine the group means with the weighting of section 5. The results "
        "equal the means of section 8 and of the scores export."
    ),
    "check_method": gettext_noop(
        "Materia's methodology (docs/methodology.md) gives every formula and a worked "
        "example. Confidence intervals and P(material) come from random resampling: "
        "they are reproduced exactly from the recorded seed with the same software "
        "versions."
    ),
    "yes": gettext_noop("yes"),
    "no": gettext_noop("no"),
    "footer": gettext_noop("%(title)s · run %(run)s · page %(page)s"),
}


# One table for every document: a key means the same text wherever it is used (a test
# holds the two parts to that where they share a key).
WORDS: dict[str, str | Promise] = {**EXPORT_WORDS, **PACK_WORDS}


def word(key: str, language: str) -> str:
    """The text of *key* in *language*."""
    return localise(WORDS[key], language)
