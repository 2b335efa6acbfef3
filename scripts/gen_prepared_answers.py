"""Write refbench/documents/prepared-answers.toml: the evaluator's answers prepared for the reference
device RB-100, each bound to the exact document (or IXIT tables) it judges by its SHA-256.

The judgements below were made by reading the documents in refbench/documents/ and the hardened
profile; this script only fills in the digests, so an edited document or declaration shows up as a
stale file (and as pending questions in a run) instead of an answer silently judging text it never saw.

    python scripts/gen_prepared_answers.py          # write
    python scripts/gen_prepared_answers.py --check  # exit 1 if the committed file is stale
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DOCS = ROOT / "refbench" / "documents"
OUT = DOCS / "prepared-answers.toml"
HARDENED_PROFILE = ROOT / "device_profiles" / "refbench-hardened.toml"
EVALUATOR = "tech01"
AT = "2026-11-29T09:00:00+09:00"
PREPARED = ("Prepared by the harness project for the reference device RB-100 (method validation): the judgements "
            "of a project evaluator on the fictitious vendor documents in refbench/documents/ and on the hardened "
            "profile, not a lab's judgement of a real product.")

VERSIONS = {
    "hardened": {
        "vulnerability_disclosure_policy": "vulnerability-disclosure-policy.md",
        "update_policy": "update-policy.md",
        "user_manual": "user-manual.md",
    },
    "defective": {
        "vulnerability_disclosure_policy": "defective/vulnerability-disclosure-policy-no-timelines.md",
        "update_policy": "defective/update-policy-no-support-period.md",
        "user_manual": "defective/user-manual-no-support-period.md",
    },
}

BOTH = ("hardened", "defective")


def passes_in_both(document: str, rows: tuple[tuple[str, str, str], ...]) -> list[tuple[str, str, str, str, str, str]]:
    """Answers that are the same PASS for the hardened and the defective version of ``document``."""
    return [(check, document, v, "pass", loc, why) for v in BOTH for check, loc, why in rows]


# (check, document, version, verdict, location, rationale)
DOCUMENT_ANSWERS: list[tuple[str, str, str, str, str, str]] = [
    # S1.1-05: the hardened policy, and the one without timelines
    *passes_in_both("vulnerability_disclosure_policy", (
        ("S1.1-05.published", "§7", "§7 gives its public address, https://rb100.example/security/vdp; the "
                                    "Policy field of the device's security.txt points to the same address."),
        ("S1.1-05.contact", "§3.1", "Reports go to security@rb100.example or the web form "
                                    "https://rb100.example/security/report."),
    )),
    ("S1.1-05.acknowledgement_timeline", "vulnerability_disclosure_policy", "hardened", "pass", "§4.1",
     "A numbered acknowledgement within 5 business days of receipt; business days are defined in §4.4."),
    ("S1.1-05.status_update_timeline", "vulnerability_disclosure_policy", "hardened", "pass", "§4.2",
     "Progress is reported at least every 30 days until a fix is published or the issue is explained as no "
     "vulnerability."),
    ("S1.1-05.acknowledgement_timeline", "vulnerability_disclosure_policy", "defective", "fail", "§4.1",
     "§4.1 only says the vendor will acknowledge the report; no time is given anywhere in the policy."),
    ("S1.1-05.status_update_timeline", "vulnerability_disclosure_policy", "defective", "fail", "§4.2",
     "§4.2 says progress is reported 'as needed' (必要に応じて): no interval, no commitment until "
     "resolution."),
    # S1.1-07: the procedure in the user manual (the same sections in both versions)
    *passes_in_both("user_manual", (
        ("S1.1-07.procedure_stated", "§5.2", "Step by step: download the signed image from the support site, Web "
                                             "UI > Firmware update, choose the file, Upload; or POST it to "
                                             "/api/v1/firmware."),
        ("S1.1-07.simple", "§5.2", "A browser and the downloaded file are all that is needed; no tools, no console, "
                                   "no technical knowledge."),
        ("S1.1-07.matches_device", "§5.2", "The same two paths as [update] user_procedure and "
                                           "[actions.install_update] (POST /api/v1/firmware), which S1.1-06 used."),
    )),
    # S1.1-09: the update policy
    *passes_in_both("update_policy", (
        ("S1.1-09.prioritisation", "§2.1-2.2", "Severity from the CVSS v3.1 base score, raised one level for known "
                                               "exploitation, public exploit code or unauthenticated network "
                                               "exploitability."),
        ("S1.1-09.delivery", "§3", "Signed Ed25519 firmware images from the support site, installed by the user "
                                   "through the web UI or the REST API; advisories, JVN and e-mail announce them."),
        ("S1.1-09.timeliness", "§2.3", "Target times by severity: critical 30 days, high 60, medium 90, low 180."),
        ("S1.1-09.applies_to_model", "§1", "The policy's scope is the RB-100 and its firmware."),
    )),
    ("S1.1-09.support_period_stated", "update_policy", "hardened", "pass", "§4.1",
     "Security updates are provided until 2031-03-31 (2031年3月31日)."),
    ("S1.1-09.support_period_stated", "update_policy", "defective", "fail", "whole document",
     "No support period or end date is stated anywhere in the policy."),
    ("S1.1-09.support_period_current", "update_policy", "defective", "fail", "whole document",
     "The policy states no support period and the profile declares none, so it cannot be current."),
    # S1.1-16: the user manual; section numbers shift by one after §5 in the version without a support period
    *passes_in_both("user_manual", (
        ("S1.1-16.secure_setup", "§3", "Trusted network only, the per-unit password on the label, a new password at "
                                       "first login, only SSH and HTTPS enabled."),
        ("S1.1-16.secure_use", "§4", "Lockout after 5 failed logins, sessions end after 15 minutes, keep the label "
                                     "private, keep the firmware current."),
        ("S1.1-16.update_notification", "§5.1", "Advisories (and e-mail to registered users) give the affected "
                                                "versions, the risk fixed and its severity; the dashboard shows the "
                                                "installed version."),
        ("S1.1-16.model_named", "§2", "The manual is for the RB-100 and says where the model number is shown."),
    )),
    ("S1.1-16.disposal", "user_manual", "hardened", "pass", "§8",
     "Factory reset from the web UI or POST /api/v1/factory-reset erases settings, credentials and user data; "
     "what to do before handing over, repair and disposal."),
    ("S1.1-16.disposal", "user_manual", "defective", "pass", "§7",
     "The same factory-reset and disposal instructions (numbered §7 in this version)."),
    ("S1.1-16.threatening_use", "user_manual", "hardened", "pass", "§7",
     "Lists risky conditions: web UI or SSH exposed to the internet, unchanged or shared passwords, affected "
     "firmware, use after the support period, untrusted networks, physical access by others."),
    ("S1.1-16.threatening_use", "user_manual", "defective", "pass", "§6",
     "The same list of risky conditions (numbered §6 in this version)."),
    ("S1.1-16.support_period_published", "user_manual", "hardened", "pass", "§6",
     "The manual states the support period end, 2031-03-31, and the update policy §4 repeats it."),
    ("S1.1-16.support_period_published", "user_manual", "defective", "fail", "whole document",
     "Neither the manual nor the update policy states a support period."),
]

# (check, verdict, location, rationale), judged on the hardened profile's tables
CONCEPTUAL_ANSWERS: list[tuple[str, str, str, str]] = [
    ("S1.1-01.settings_need_authentication", "pass", "[[services]], [[authentication]]",
     "SSH and HTTPS (web UI and REST API) are the only services and both require authentication; the console "
     "asks for the admin login."),
    ("S1.1-01.mechanism_suits_use", "pass", "[[authentication]]",
     "Password login over SSH and HTTPS with a per-unit password and a lockout suits a home or office device."),
    ("S1.1-02.no_shared_default", "pass", "[[authentication]], [[units]]",
     "Every login uses the unit's own password (credential_source unique_per_unit), one per serial."),
    ("S1.1-02.generation_randomness", "pass", "[[authentication]] password_generation",
     "16 symbols from a 56-symbol alphabet from the OS CSPRNG at manufacture: about 93 bits, no public data."),
    ("S1.1-03.change_mechanism", "pass", "[actions.change_password]",
     "One REST call (also in the web UI) changes the admin password shared by every login."),
    ("S1.1-04.protection_declared", "pass", "[[authentication]] brute_force",
     "Lockout for SSH, web UI and REST API (shared counter), a 3 s delay on the console."),
    ("S1.1-04.thresholds_adequate", "pass", "[[authentication]] brute_force",
     "5 failures lock for 30 s, doubling up to 300 s: about 60 guesses per hour at most, against a 93-bit "
     "password."),
    ("S1.1-06.components_updatable", "pass", "[update]",
     "The whole firmware image (kernel, system, services) is replaced by an update."),
    ("S1.1-06.secure_mechanism", "pass", "[update]",
     "Signed images, signature checked on the device, rollback protection."),
    ("S1.1-08.verify_before_install", "pass", "[update]",
     "signed = true; the Ed25519 signature is verified before the image is installed."),
    ("S1.1-08.best_practice_crypto", "pass", "[update] signature_algorithm",
     "Ed25519 (EdDSA over Curve25519), current best practice."),
    ("S1.1-10.where_shown", "pass", "[identity], [actions.get_model_number], [actions.read_label]",
     "On the label and through GET /api/v1/model."),
    ("S1.1-11.assets_listed", "pass", "[storage] protected_data",
     "Admin password, TLS private key, SSH host key, Wi-Fi passphrase."),
    ("S1.1-11.storage_protection", "pass", "[storage] protection",
     "Password as SHA-512-crypt hash; keys and passphrase sealed with a hardware-derived key kept off the flash."),
    ("S1.1-12.services_crypto", "pass", "[[services]]", "SSH and HTTPS (TLS) only; no cleartext service."),
    ("S1.1-12.outbound_crypto", "pass", "[[outbound]]",
     "Telemetry over TLS 1.2+ with the collector's certificate checked against the vendor CA."),
    ("S1.1-13.interfaces_justified", "pass", "[[services]], [[physical_interfaces]]",
     "SSH for administration, HTTPS for the web UI and API, the UART for service; each with its purpose."),
    ("S1.1-13.debug_protected", "pass", "[[physical_interfaces]] uart0",
     "The UART console asks for the admin login; no shell without it."),
    ("S1.1-14.what_survives", "pass", "[resilience]",
     "Last settings, password and firmware are kept; never a return to factory defaults."),
    ("S1.1-14.safe_while_recovering", "pass", "[resilience]",
     "It boots with its last configuration, so authentication stays as configured during recovery."),
    ("S1.1-15.deletion_covers_all", "pass", "[storage] deletion_function",
     "The factory reset erases the whole data partition: settings, credentials and user data."),
    ("S1.1-15.deletion_simple", "pass", "[storage], [actions.factory_reset]",
     "One button in the web UI, or one REST call."),
]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render() -> str:
    from criteria.document_review import load_document_review
    from fixtures.document_aids import ixit_subject
    from fixtures.profile import load_profile

    review = load_document_review()
    profile = load_profile(HARDENED_PROFILE)
    lines = [
        "# GENERATED by scripts/gen_prepared_answers.py: do not edit (the judgements are in that script).",
        "# The reference device's prepared evaluator answers, each bound to one version of one document, or",
        "# to the hardened profile's tables, by SHA-256. Used by ./run evaluate and scripts/validate.py.",
        "schema_version = 1",
        f"prepared = {json.dumps(PREPARED, ensure_ascii=False)}",
        "",
    ]

    def entry(check: str, verdict: str, rationale: str, document: str, sha: str, location: str) -> None:
        review.check(check)  # a check id that no longer exists stops the script
        lines.extend([
            "[[answers]]",
            f"check = {json.dumps(check)}",
            f"evaluator = {json.dumps(EVALUATOR)}",
            f"at = {AT}",
            f"verdict = {json.dumps(verdict)}",
            f"rationale = {json.dumps(rationale, ensure_ascii=False)}",
            f"document = {json.dumps(document)}",
            f"sha256 = {json.dumps(sha)}",
            f"location = {json.dumps(location, ensure_ascii=False)}",
            "",
        ])

    for check, document, version, verdict, location, rationale in DOCUMENT_ANSWERS:
        entry(check, verdict, rationale, document, _sha(DOCS / VERSIONS[version][document]), location)
    for check, verdict, location, rationale in CONCEPTUAL_ANSWERS:
        tables = review.check(check).ixit
        sha = ixit_subject(profile, tables, "").sha256
        assert sha is not None
        entry(check, verdict, rationale, "ixit", sha, location)
    return "\n".join(lines)


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run python scripts/gen_prepared_answers.py")
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
