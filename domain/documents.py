"""What a citizen may be asked to bring to a service they are sent on to: the keys the
service directory's ``referral_services`` list under ``bring``, each a sentence of the
interface catalogues, so that the citizen reads it in their language (a key the directory
writes that is not here is refused when the directory is loaded)."""

from __future__ import annotations

from domain.text import N_

DOCUMENTS: dict[str, str] = {
    "identity_document": N_("Passport or another identity document"),
    "residence_permit": N_("Residence permit (permesso di soggiorno), or the receipt of "
                           "its application"),
    "tax_code": N_("Tax code (codice fiscale)"),
    "health_card": N_("Health card (tessera sanitaria)"),
    "residence_certificate": N_("Proof of where you live (residence or domicile)"),
    "cv": N_("Your CV, if you have one"),
    "qualifications": N_("School certificates or diplomas you have, with any translation"),
    "isee": N_("ISEE certificate, if you have one"),
}
