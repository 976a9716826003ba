"""What the console calls each action of the audit trail.

Every domain writes its own codes (``audit_append(action="staff.login")``); the codes are
stored as written and covered by the hash chain, so they never change. Here each gets a
name staff can read; ``tests/audit/test_actions.py`` finds every code the source appends
and fails for one with no name here.
"""

from __future__ import annotations

from urna.core.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "audit.verify": N_("Audit chain verified"),
    "clause.publish": N_("Information clause published"),
    "document.publish": N_("Site document published"),
    "edition.area_add": N_("Area added"),
    "edition.closing_extend": N_("Voting extended"),
    "edition.create": N_("Edition created"),
    "edition.import": N_("Edition imported from a JSON file"),
    "edition.pool_add": N_("Pool added"),
    "edition.pool_rules": N_("Pool rules changed"),
    "edition.project_add": N_("Project added"),
    "edition.project_delete": N_("Project deleted"),
    "edition.project_image_add": N_("Project picture added"),
    "edition.project_image_remove": N_("Project picture removed"),
    "edition.project_location": N_("Project place changed"),
    "edition.project_update": N_("Project edited"),
    "edition.projects_import": N_("Projects imported from a CSV file"),
    "edition.streets_import": N_("Streets imported from a CSV file"),
    "edition.update": N_("Edition settings changed"),
    "fraud.allow.add": N_("Known shared network added"),
    "fraud.allow.remove": N_("Known shared network removed"),
    "fraud.traces_purge": N_("Fraud signal traces purged (retention)"),
    "identity.unmask": N_("Paper ballot identity shown (mismatch review)"),
    "paper.cast": N_("Paper ballot counted"),
    "paper.conflict": N_("Paper ballot in conflict with another ballot"),
    "paper.first_entry": N_("Paper ballot typed (first entry)"),
    "paper.invalid": N_("Paper ballot recorded as invalid"),
    "paper.mismatch": N_("Paper ballot entries differ"),
    "paper.point_add": N_("Collection point added"),
    "paper.point_remove": N_("Collection point removed"),
    "paper.point_rename": N_("Collection point renamed"),
    "paper.resolve": N_("Paper ballot mismatch resolved"),
    "paper.void": N_("Typed paper ballot recorded as invalid"),
    "paper.withdraw": N_("Counted paper ballot withdrawn"),
    "privacy.identity_correct": N_("Identity corrected (rectification)"),
    "privacy.identity_erase": N_("Identity erased"),
    "privacy.request_answer": N_("Data request answered"),
    "privacy.request_filed": N_("Data request filed"),
    "privacy.request_held_read": N_("Data request read with the data held"),
    "privacy.request_read": N_("Data request read"),
    "privacy.retention_purge": N_("Data purged after the retention period"),
    "requestlog.export": N_("Request logs exported"),
    "requestlog.search": N_("Request logs searched"),
    "requestlog.trail": N_("Request trail read"),
    "results.compute": N_("Results computed"),
    "results.draw": N_("Draw recorded"),
    "results.publish": N_("Results published"),
    "staff.create": N_("Staff account created"),
    "staff.disable": N_("Staff account disabled"),
    "staff.enable": N_("Staff account enabled"),
    "staff.login": N_("Logged in"),
    "staff.login_failed": N_("Login failed"),
    "staff.logout": N_("Logged out"),
    "staff.password_change": N_("Own password changed"),
    "staff.password_reset": N_("Password reset"),
    "staff.role_change": N_("Role changed"),
    "staff.totp_enrol": N_("Second factor set up"),
    "staff.totp_reset": N_("Second factor reset"),
    "verification.confirm": N_("Decision confirmed by a second verifier"),
    "verification.decide": N_("Ballot decided"),
    "verification.export": N_("Evidence exported"),
    "verification.lookup": N_("Ballot looked up"),
    "verification.read": N_("Case or ballot opened for review"),
    "verification.reverse": N_("Decision reversed"),
    "verification.rules": N_("Verification rules changed"),
    "verification.unmask": N_("Identity shown (verification)"),
}


def action_label(code: str) -> str:
    """The msgid naming ``code``; a code with no name (a test's, or a stray) is itself."""
    return ACTION_LABELS.get(code, code)
