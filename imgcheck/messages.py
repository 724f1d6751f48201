"""The message catalog: id -> {language: template}. Rendering rules are in ``imgcheck.i18n``.

Ids name where a sentence is used (``known_face.match``; ``verdict.flagged``; ``cli.*`` and ``app.*``
for interface text). Every id has every language of ``imgcheck.i18n.LANGS`` with the same placeholders
(``tests/test_i18n.py``).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # -- engine -----------------------------------------------------------------------------------
    "check.could_not_run": {
        "en": "The {check} check could not run: {error}",
        "fr": "La vérification {check} n'a pas pu s'exécuter : {error}",
    },
    "check.failed": {
        "en": "The {check} check failed unexpectedly ({error_type}).",
        "fr": "La vérification {check} a échoué de façon inattendue ({error_type}).",
    },
    # -- known_image ------------------------------------------------------------------------------
    "known_image.no_bank": {
        "en": "No bank of known images is loaded.",
        "fr": "Aucune banque d'images connues n'est chargée.",
    },
    "known_image.no_match": {
        "en": "No known image in the bank matches this photo.",
        "fr": "Aucune image connue de la banque ne correspond à cette photo.",
    },
    "known_image.match": {
        "en": "Matches a known image of {label:q} ({method} distance {distance} of {bits})",
        "fr": "Correspond à une image connue de {label:q} (distance {method} {distance} sur {bits})",
    },
    "known_image.match_aligned": {
        "en": "Matches a known image of {label:q} (PDQ distance after alignment {distance} of {bits})",
        "fr": "Correspond à une image connue de {label:q} (distance PDQ après alignement {distance} sur {bits})",
    },
    # -- known_face -------------------------------------------------------------------------------
    "known_face.no_face": {
        "en": "No face found in the photo.",
        "fr": "Aucun visage trouvé sur la photo.",
    },
    "known_face.no_bank_faces": {
        "en": "The bank holds no known faces.",
        "fr": "La banque ne contient aucun visage connu.",
    },
    "known_face.too_small": {
        "en": "{faces} face(s) found, all too small to recognise.",
        "fr": "{faces} visage(s) trouvé(s), tous trop petits pour être reconnus.",
    },
    "known_face.too_small_eyes": {
        "en": "{faces} face(s) found, all too small to recognise (under {min_eyes:.0f} px between the eyes).",
        "fr": "{faces} visage(s) trouvé(s), tous trop petits pour être reconnus (moins de {min_eyes:.0f} px "
              "entre les yeux).",
    },
    "known_face.ambiguous": {
        "en": "No face matches a known person in the bank (face {face} is close to two people: {best:.2f} "
              "and {next:.2f}; a name needs a lead of {margin:.2f}).",
        "fr": "Aucun visage ne correspond à une personne connue de la banque (le visage {face} est proche de "
              "deux personnes : {best:.2f} et {next:.2f} ; il faut une avance de {margin:.2f} pour nommer "
              "quelqu'un).",
    },
    "known_face.no_match": {
        "en": "No face matches a known person in the bank.",
        "fr": "Aucun visage ne correspond à une personne connue de la banque.",
    },
    "known_face.no_match_closest": {
        "en": "No face matches a known person in the bank (closest bank face at distance {best:.2f}; "
              "names need {threshold:.2f} or less).",
        "fr": "Aucun visage ne correspond à une personne connue de la banque (visage le plus proche à la "
              "distance {best:.2f} ; il faut {threshold:.2f} ou moins pour nommer quelqu'un).",
    },
    "known_face.match": {
        "en": "Face of {labels:q} from the bank (face {face}, distance {distance:.2f}; same person below "
              "{threshold:.2f})",
        "fr": "Visage de {labels:q}, présent dans la banque (visage {face}, distance {distance:.2f} ; même "
              "personne en dessous de {threshold:.2f})",
    },
    # -- ai_pixels --------------------------------------------------------------------------------
    "ai_pixels.no_model": {
        "en": "The pixel detector model {model:q} is not installed.",
        "fr": "Le modèle du détecteur de pixels {model:q} n'est pas installé.",
    },
    "ai_pixels.too_small": {
        "en": "The image is too small or too narrow ({width}x{height}) for the pixel detector: it was "
              "validated on images of at least {min_side} px on the shorter side.",
        "fr": "L'image est trop petite ou trop étroite ({width}x{height}) pour le détecteur de pixels : il a "
              "été validé sur des images d'au moins {min_side} px sur le petit côté.",
    },
    "ai_pixels.flag_by": {
        "en": "The pixel detector gives {p:.0%} probability that this image is AI-generated (flags at "
              "{flag_at:.0%}; mostly {part:m}); a statistical signal, not proof.",
        "fr": "Le détecteur de pixels donne {p:.0%} de probabilité que cette image soit générée par IA "
              "(signalement à partir de {flag_at:.0%} ; surtout {part:m}) ; un indice statistique, pas une "
              "preuve.",
    },
    "ai_pixels.part.clip_embed": {"en": "the image-content embedding (CLIP)",
                                  "fr": "le plongement du contenu de l'image (CLIP)"},
    "ai_pixels.part.clip_patch": {"en": "the CLIP patch tokens", "fr": "les jetons de blocs CLIP"},
    "ai_pixels.part.residual": {"en": "the noise residuals (camera and up-sampling traces)",
                                "fr": "les résidus de bruit (traces d'appareil photo et d'agrandissement)"},
    "ai_pixels.no_score": {
        "en": "The pixel detector gave no usable score for this image.",
        "fr": "Le détecteur de pixels n'a pas donné de score utilisable pour cette image.",
    },
    "ai_pixels.flag": {
        "en": "The pixel detector gives {p:.0%} probability that this image is AI-generated (flags at "
              "{flag_at:.0%}); a statistical signal, not proof.",
        "fr": "Le détecteur de pixels donne {p:.0%} de probabilité que cette image soit générée par IA "
              "(signalement à partir de {flag_at:.0%}) ; un indice statistique, pas une preuve.",
    },
    "ai_pixels.clear": {
        "en": "The pixel detector finds no sign of AI generation ({p:.0%}).",
        "fr": "Le détecteur de pixels ne trouve aucun signe de génération par IA ({p:.0%}).",
    },
    "ai_pixels.undecided": {
        "en": "The pixel detector is undecided ({p:.0%}; it flags only at {flag_at:.0%}).",
        "fr": "Le détecteur de pixels hésite ({p:.0%} ; il ne signale qu'à partir de {flag_at:.0%}).",
    },
    # -- ai_watermark -----------------------------------------------------------------------------
    "ai_watermark.too_small": {
        "en": "Image too small ({width}x{height}) to carry a Stable Diffusion watermark.",
        "fr": "Image trop petite ({width}x{height}) pour porter un filigrane Stable Diffusion.",
    },
    "ai_watermark.too_large": {
        "en": "Image too large ({width}x{height}) for an unresized Stable Diffusion output; upscaling erases "
              "these watermarks, so it was not decoded.",
        "fr": "Image trop grande ({width}x{height}) pour une sortie Stable Diffusion non redimensionnée ; "
              "l'agrandissement efface ces filigranes, elle n'a donc pas été décodée.",
    },
    "ai_watermark.no_payload": {
        "en": "Image too small to read a watermark payload.",
        "fr": "Image trop petite pour lire le contenu d'un filigrane.",
    },
    "ai_watermark.flag": {
        "en": "Invisible Stable Diffusion watermark: {payload} payload, {agreed} of {bits} bits agree "
              "({agreement:.0%}, threshold {threshold:.0%}).",
        "fr": "Filigrane invisible Stable Diffusion : contenu {payload}, {agreed} bits sur {bits} concordent "
              "({agreement:.0%}, seuil {threshold:.0%}).",
    },
    "ai_watermark.clear": {
        "en": "No known invisible AI watermark (best bit agreement {agreement:.0%}, threshold {threshold:.0%}; "
              "resizing or re-compression erases these marks).",
        "fr": "Aucun filigrane IA invisible connu (meilleure concordance {agreement:.0%}, seuil "
              "{threshold:.0%} ; un redimensionnement ou une recompression efface ces marques).",
    },
    # -- ai_provenance ----------------------------------------------------------------------------
    "ai_provenance.flag": {
        "en": "AI-generation metadata: made with {found}",
        "fr": "Métadonnées de génération par IA : créée avec {found}",
    },
    "ai_provenance.flag_more": {
        "en": "AI-generation metadata: made with {found}; {others} more sign(s)",
        "fr": "Métadonnées de génération par IA : créée avec {found} ; {others} autre(s) indice(s)",
    },
    "ai_provenance.flag_more_naming": {
        "en": "AI-generation metadata: made with {found}; {others} more sign(s) naming {also}",
        "fr": "Métadonnées de génération par IA : créée avec {found} ; {others} autre(s) indice(s) "
              "nommant {also}",
    },
    "ai_provenance.camera": {
        "en": "No AI-generation metadata. Camera metadata present ({what}); metadata can be copied or forged, "
              "so this is context, not proof that the photo is real.",
        "fr": "Aucune métadonnée de génération par IA. Métadonnées d'appareil photo présentes ({what}) ; les "
              "métadonnées peuvent être copiées ou falsifiées : c'est un contexte, pas une preuve que la "
              "photo est réelle.",
    },
    "ai_provenance.none": {
        "en": "No metadata at all (no Content Credentials, EXIF, XMP or text chunks): uploads are often "
              "stripped of metadata, so this proves nothing.",
        "fr": "Aucune métadonnée (ni Content Credentials, ni EXIF, XMP ou blocs de texte) : les photos mises "
              "en ligne perdent souvent leurs métadonnées, cela ne prouve rien.",
    },
    # Content Credentials (the parameters are the manifest's own words and C2PA codes, in English)
    "ai_provenance.broken": {
        "en": "Content Credentials: this photo was edited after it was signed: {problems}. They say: "
              "{credentials}.{validation}",
        "fr": "Content Credentials : cette photo a été modifiée après sa signature : {problems}. Elles "
              "indiquent : {credentials}.{validation}",
    },
    "ai_provenance.credentials": {
        "en": "Content Credentials present, no AI declared: {credentials}.{validation}{camera} Credentials can "
              "be stripped or signed by anyone, so this is context, not proof that the photo is real.",
        "fr": "Content Credentials présents, sans IA déclarée : {credentials}.{validation}{camera} Ils peuvent "
              "être retirés ou signés par n'importe qui : c'est un contexte, pas une preuve que la photo est "
              "réelle.",
    },
    "ai_provenance.credentials_unreadable": {
        "en": "Content Credentials present but they cannot be read: {problem}. No AI-generation metadata found "
              "elsewhere in the file; a damaged manifest proves nothing either way (not proof that the photo "
              "is real).",
        "fr": "Content Credentials présents mais illisibles : {problem}. Aucune métadonnée de génération par "
              "IA ailleurs dans le fichier ; un manifeste endommagé ne prouve rien (ce n'est pas une preuve "
              "que la photo est réelle).",
    },
    "ai_provenance.no_credentials": {
        "en": "No AI-generation metadata and no Content Credentials in this file's metadata ({kinds}); "
              "metadata is easily removed or rewritten, so this proves nothing.",
        "fr": "Aucune métadonnée de génération par IA et aucun Content Credentials dans les métadonnées du "
              "fichier ({kinds}) ; elles se retirent ou se réécrivent facilement, cela ne prouve rien.",
    },
    # -- gan_face_geometry ------------------------------------------------------------------------
    "gan_face_geometry.not_square": {
        "en": "Not a square full-frame portrait ({width}x{height}).",
        "fr": "Pas un portrait carré plein cadre ({width}x{height}).",
    },
    "gan_face_geometry.no_pipeline": {
        "en": "The face pipeline is not installed.",
        "fr": "La chaîne de traitement des visages n'est pas installée.",
    },
    "gan_face_geometry.no_detector": {
        "en": "The face detector model is not installed.",
        "fr": "Le modèle de détection des visages n'est pas installé.",
    },
    "gan_face_geometry.no_eyes": {
        "en": "No face with eye landmarks was found.",
        "fr": "Aucun visage dont les yeux sont repérables n'a été trouvé.",
    },
    "gan_face_geometry.flag": {
        "en": "The eyes sit {distance:.1%} of the image width from the StyleGAN/FFHQ layout (tolerance "
              "{tol:.1%}) in a square portrait, typical of GAN-made faces; a statistical signal, not proof.",
        "fr": "Les yeux sont à {distance:.1%} de la largeur de l'image de la disposition StyleGAN/FFHQ "
              "(tolérance {tol:.1%}) dans un portrait carré, typique des visages créés par GAN ; un indice "
              "statistique, pas une preuve.",
    },
    "gan_face_geometry.clear": {
        "en": "The eyes are {distance:.1%} of the width away from the StyleGAN/FFHQ layout.",
        "fr": "Les yeux sont à {distance:.1%} de la largeur de la disposition StyleGAN/FFHQ.",
    },
    # -- face_consistency (profiles) --------------------------------------------------------------
    "face_consistency.too_few": {
        "en": "Fewer than two photos show a face; nothing to compare.",
        "fr": "Moins de deux photos montrent un visage ; rien à comparer.",
    },
    "face_consistency.flag_one": {
        "en": "Photos show different people: {disagree} does not match the person in {agree}",
        "fr": "Les photos montrent des personnes différentes : {disagree} ne correspond pas à la personne "
              "de {agree}",
    },
    "face_consistency.flag_many": {
        "en": "Photos show different people: {disagree} do not match the person in {agree}",
        "fr": "Les photos montrent des personnes différentes : {disagree} ne correspondent pas à la "
              "personne de {agree}",
    },
    "face_consistency.undecided": {
        "en": "Unsure whether {undecided} show(s) the same person as {agree}.",
        "fr": "Impossible de dire si {undecided} montre(nt) la même personne que {agree}.",
    },
    "face_consistency.clear": {
        "en": "All {n} photos with a face show the same person.",
        "fr": "Les {n} photos avec un visage montrent toutes la même personne.",
    },
    # -- verdicts and statuses (CLI and app) ------------------------------------------------------
    "verdict.flagged": {"en": "flagged", "fr": "signalée"},
    "verdict.suspicious": {"en": "suspicious", "fr": "suspecte"},
    "verdict.clear": {"en": "no warning signs", "fr": "aucun signe d'alerte"},
    "verdict.error": {"en": "error", "fr": "erreur"},
    "verdict.incomplete": {"en": "incomplete", "fr": "incomplète"},
    "status.flag": {"en": "found a problem", "fr": "problème trouvé"},
    "status.clear": {"en": "nothing found", "fr": "rien trouvé"},
    "status.inconclusive": {"en": "could not tell", "fr": "impossible à dire"},
    "status.error": {"en": "did not run", "fr": "ne s'est pas exécutée"},
    "status.not_checked": {"en": "not checked", "fr": "non vérifié"},
    # -- command line -----------------------------------------------------------------------------
    "cli.error": {"en": "error:", "fr": "erreur :"},
    "cli.skipped": {"en": "skipped:", "fr": "ignoré :"},
    "cli.example_bank": {
        "en": "No bank at {path}; using the bundled example bank (public-domain photos). Build your own "
              "with: imgcheck bank add",
        "fr": "Aucune banque dans {path} ; utilisation de la banque d'exemple fournie (photos du domaine "
              "public). Créez la vôtre avec : imgcheck bank add",
    },
    "cli.folder": {
        "en": "{path} is a folder: to check every photo in it, run: imgcheck scan {path} --out report.html",
        "fr": "{path} est un dossier : pour vérifier toutes ses photos, lancez : imgcheck scan {path} "
              "--out report.html",
    },
    "cli.profile": {"en": "profile", "fr": "profil"},
    "cli.incomplete": {
        "en": "not every check ran, so this is not a clean result:",
        "fr": "toutes les vérifications n'ont pas pu s'exécuter : ce n'est donc pas un résultat net :",
    },
    "cli.added": {
        "en": "added {added}, already in bank {same}, skipped {bad} -> {path}",
        "fr": "ajoutées {added}, déjà dans la banque {same}, ignorées {bad} -> {path}",
    },
    "cli.serving": {
        "en": "imgcheck is running at {url} (bank: {bank}); Ctrl+C stops it.",
        "fr": "imgcheck tourne sur {url} (banque : {bank}) ; Ctrl+C l'arrête.",
    },
    "cli.scan_skipped": {
        "en": "  skipped {n} file(s) that are not images (e.g. {example})",
        "fr": "  {n} fichier(s) ignoré(s) car ce ne sont pas des images (par ex. {example})",
    },
}
