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
    "ai_pixels.flag_layout": {
        "en": "The face sits where StyleGAN/FFHQ generators put it ({distance:.1%} of the side off), and the "
              "image and face detectors together give {p:.0%} that it was generated (flags at {flag_at:.0%}); "
              "a statistical signal, not proof.",
        "fr": "Le visage est placé comme le placent les générateurs StyleGAN/FFHQ (à {distance:.1%} du côté), "
              "et les détecteurs d'image et de visage donnent ensemble {p:.0%} qu'il soit généré (signalement "
              "à partir de {flag_at:.0%}) ; un indice statistique, pas une preuve.",
    },
    "ai_pixels.undecided_layout": {
        "en": "The pixel detector is undecided ({p:.0%}; it flags only at {flag_at:.0%}); the face sits on the "
              "StyleGAN/FFHQ layout, and the image and face detectors together give {fused:.0%} (they flag "
              "at {fused_at:.0%}).",
        "fr": "Le détecteur de pixels hésite ({p:.0%} ; il ne signale qu'à partir de {flag_at:.0%}) ; le visage "
              "est placé comme par StyleGAN/FFHQ, et les détecteurs d'image et de visage donnent ensemble "
              "{fused:.0%} (signalement à partir de {fused_at:.0%}).",
    },
    "ai_pixels.face_undecided": {
        "en": "The whole picture looks camera-made, but its face sits on the StyleGAN/FFHQ layout and the "
              "image and face detectors together are undecided ({p:.0%}; they flag only at {flag_at:.0%}).",
        "fr": "L'image entière semble issue d'un appareil photo, mais son visage est placé comme par "
              "StyleGAN/FFHQ et les détecteurs d'image et de visage hésitent ensemble ({p:.0%} ; ils ne "
              "signalent qu'à partir de {flag_at:.0%}).",
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
    "cli.scanned": {"en": "scanned", "fr": "analysées :"},
    "cli.scanned_total": {"en": "{total} ({new} in this run) -> {out}", "fr": "{total} ({new} dans cette passe) -> {out}"},
    "cli.scan_counts": {
        "en": "flagged {flagged}, suspicious {suspicious}, incomplete {incomplete}, clear {clear}, errors {errors}",
        "fr": "signalées {flagged}, suspectes {suspicious}, incomplètes {incomplete}, sans alerte {clear}, "
              "erreurs {errors}",
    },
    "cli.by_flag": {"en": "by flag:", "fr": "par signal :"},
    "cli.scan_skipped": {
        "en": "  skipped {n} file(s) that are not images (e.g. {example})",
        "fr": "  {n} fichier(s) ignoré(s) car ce ne sont pas des images (par ex. {example})",
    },

    # -- HTML scan report (imgcheck scan --out report.html, the app's batch tab) ------------------------
    "report.title": {"en": "imgcheck scan report", "fr": "Rapport d'analyse imgcheck"},
    "report.n_images": {"en": "{n} images", "fr": "{n} images"},
    "report.n_flagged": {"en": "{n} flagged", "fr": "{n} signalée(s)"},
    "report.n_suspicious": {"en": "{n} suspicious", "fr": "{n} suspecte(s)"},
    "report.n_errors": {"en": "{n} errors", "fr": "{n} erreur(s)"},
    "report.n_incomplete": {"en": "{n} incomplete", "fr": "{n} incomplète(s)"},
    "report.n_clear": {"en": "{n} clear", "fr": "{n} sans alerte"},
    "report.flags": {"en": "Flags:", "fr": "Signaux :"},
    "report.none": {"en": "none", "fr": "aucun"},
    "report.showing_top": {
        "en": "Showing the {shown} riskiest of {total} records; the JSON Lines file has every record.",
        "fr": "Affichage des {shown} résultats les plus à risque sur {total} ; le fichier JSON Lines les "
              "contient tous.",
    },
    "report.verdict.flagged": {"en": "flagged", "fr": "signalée"},
    "report.verdict.suspicious": {"en": "suspicious", "fr": "suspecte"},
    "report.verdict.error": {"en": "error", "fr": "erreur"},
    "report.verdict.incomplete": {"en": "incomplete", "fr": "incomplète"},
    "report.verdict.clear": {"en": "clear", "fr": "sans alerte"},
    "report.status.inconclusive": {"en": "inconclusive", "fr": "impossible à dire"},
    "report.status.error": {"en": "error", "fr": "ne s'est pas exécutée"},
    "report.flag": {"en": "Flag:", "fr": "Signal :"},
    "report.any": {"en": "any", "fr": "tous"},
    "report.sort": {"en": "Sort:", "fr": "Tri :"},
    "report.by_risk": {"en": "by risk", "fr": "par risque"},
    "report.by_name": {"en": "by file name", "fr": "par nom de fichier"},
    "report.showing": {"en": "showing", "fr": "affichées :"},
    "report.col.image": {"en": "Image", "fr": "Image"},
    "report.col.file": {"en": "File", "fr": "Fichier"},
    "report.col.verdict": {"en": "Verdict", "fr": "Verdict"},
    "report.col.reasons": {"en": "Reasons", "fr": "Raisons"},
    "report.col.matches": {"en": "Matched bank images", "fr": "Images de la banque correspondantes"},
    "report.no_preview": {"en": "no preview", "fr": "pas d'aperçu"},
    "report.strongest": {"en": "strongest evidence: {check}, strength {strength:.2f} of 1",
                         "fr": "indice le plus fort : {check}, force {strength:.2f} sur 1"},
    "report.measure": {"en": "{name} {value} ({unit}; flags at {flags_when} {flag_at})",
                       "fr": "{name} {value} ({unit} ; signale à {flags_when} {flag_at})"},
    "report.bank_entry": {"en": "bank entry", "fr": "entrée de la banque"},
    "report.match": {"en": "{kind} via {method} {value} (#{entry_id}, {bank_kind})",
                     "fr": "{kind} par {method} {value} (n° {entry_id}, {bank_kind})"},

    # -- app: verdict banners (subject: photo, profile, video) ----------------------------------------
    "app.title.flagged": {"en": "Flagged", "fr": "Signalée"},
    "app.title.suspicious": {"en": "Suspicious", "fr": "Suspecte"},
    "app.title.clear": {"en": "No warning signs found", "fr": "Aucun signe d'alerte"},
    "app.title.incomplete": {"en": "Not every check ran", "fr": "Toutes les vérifications n'ont pas tourné"},
    "app.title.error": {"en": "Could not check this file", "fr": "Impossible de vérifier ce fichier"},
    "app.title.error.profile": {"en": "Could not check this profile", "fr": "Impossible de vérifier ce profil"},
    "app.text.flagged.photo": {
        "en": "Strong evidence that this photo is not what the profile claims.",
        "fr": "Des indices forts que cette photo n'est pas ce que le profil prétend.",
    },
    "app.text.flagged.profile": {
        "en": "Strong evidence that the photos of this profile are not who the person claims to be.",
        "fr": "Des indices forts que les photos de ce profil ne montrent pas la personne qu'il prétend être.",
    },
    "app.text.flagged.video": {
        "en": "Strong evidence that this video clip is not what the profile claims.",
        "fr": "Des indices forts que cette vidéo n'est pas ce que le profil prétend.",
    },
    "app.text.suspicious.photo": {
        "en": "Signals that this photo may be AI-generated or altered. A signal, not proof.",
        "fr": "Des signes que cette photo pourrait être générée par IA ou retouchée. Un indice, pas une preuve.",
    },
    "app.text.suspicious.profile": {
        "en": "Signals that some photos of this profile may be AI-generated or altered. A signal, not proof.",
        "fr": "Des signes que certaines photos de ce profil pourraient être générées par IA ou retouchées. Un "
              "indice, pas une preuve.",
    },
    "app.text.suspicious.video": {
        "en": "Signals that this video clip may be AI-generated or altered. A signal, not proof.",
        "fr": "Des signes que cette vidéo pourrait être générée par IA ou retouchée. Un indice, pas une preuve.",
    },
    "app.text.clear.photo": {
        "en": "None of the checks found a problem with this photo.",
        "fr": "Aucune vérification n'a trouvé de problème avec cette photo.",
    },
    "app.text.clear.profile": {
        "en": "None of the checks found a problem with these photos.",
        "fr": "Aucune vérification n'a trouvé de problème avec ces photos.",
    },
    "app.text.clear.video": {
        "en": "None of the checks found a problem with this video clip.",
        "fr": "Aucune vérification n'a trouvé de problème avec cette vidéo.",
    },
    "app.text.incomplete": {
        "en": "No check found a problem, but not every check ran, so this is not a clean result.",
        "fr": "Aucune vérification n'a trouvé de problème, mais toutes n'ont pas tourné : ce n'est donc pas un "
              "résultat net.",
    },
    "app.did_not_run": {"en": "Did not run: {what}.", "fr": "Non exécutées : {what}."},
    # -- app: advice ------------------------------------------------------------------------------------
    "app.why": {"en": "Why", "fr": "Pourquoi"},
    "app.found": {"en": "What the checks found", "fr": "Ce que les vérifications ont trouvé"},
    "app.next": {"en": "What to do next", "fr": "Que faire maintenant"},
    "app.flag.known_image": {
        "en": "This photo, or an edited copy of it, is in the bank of known images (celebrities, photos "
              "already used in scams).",
        "fr": "Cette photo, ou une copie retouchée, est dans la banque d'images connues (célébrités, photos "
              "déjà utilisées dans des arnaques).",
    },
    "app.flag.known_face": {"en": "The face matches a known person in the bank.",
                            "fr": "Le visage correspond à une personne connue de la banque."},
    "app.flag.inconsistent_faces": {"en": "The photos of this profile do not all show the same person.",
                                    "fr": "Les photos de ce profil ne montrent pas toutes la même personne."},
    "app.flag.ai_provenance": {"en": "The file's own metadata says it was made or edited with an AI tool.",
                               "fr": "Les métadonnées du fichier disent qu'il a été créé ou retouché avec un "
                                     "outil d'IA."},
    "app.flag.ai_watermark": {"en": "An invisible watermark left by an AI image generator was found.",
                              "fr": "Un filigrane invisible laissé par un générateur d'images IA a été trouvé."},
    "app.flag.ai_generated": {
        "en": "A pixel-level detector finds this photo looks AI-generated. This is a statistical signal, not "
              "proof.",
        "fr": "Un détecteur au niveau des pixels trouve que cette photo semble générée par IA. C'est un indice "
              "statistique, pas une preuve.",
    },
    "app.flag.gan_face_geometry": {
        "en": "The face has the fixed geometry typical of generated faces. A statistical signal, not proof.",
        "fr": "Le visage a la géométrie fixe typique des visages générés. Un indice statistique, pas une preuve.",
    },
    "app.flag.provenance_broken": {
        "en": "The photo was edited after it was signed: its Content Credentials no longer match the file.",
        "fr": "La photo a été modifiée après sa signature : ses Content Credentials ne correspondent plus au "
              "fichier.",
    },
    "app.step.flagged.1": {"en": "Do not send money, gift cards, crypto or bank details, whatever the story.",
                           "fr": "N'envoyez ni argent, ni cartes cadeaux, ni crypto, ni coordonnées bancaires, "
                                 "quelle que soit l'histoire."},
    "app.step.flagged.2": {"en": "Ask for a live video call. Someone using another person's photos will find "
                                 "excuses.",
                           "fr": "Demandez un appel vidéo en direct. Quelqu'un qui utilise les photos d'un autre "
                                 "trouvera des excuses."},
    "app.step.flagged.3": {"en": "Report the profile to the dating app or site, and keep the conversation as "
                                 "evidence.",
                           "fr": "Signalez le profil à l'application ou au site de rencontre, et gardez la "
                                 "conversation comme preuve."},
    "app.step.suspicious.1": {"en": "Do not send money, gift cards, crypto or bank details before you have met "
                                    "in person.",
                              "fr": "N'envoyez ni argent, ni cartes cadeaux, ni crypto, ni coordonnées bancaires "
                                    "avant de vous être rencontrés en personne."},
    "app.step.suspicious.2": {"en": "Ask for a live video call, or a new photo holding today's date on paper.",
                              "fr": "Demandez un appel vidéo en direct, ou une nouvelle photo tenant la date du "
                                    "jour sur papier."},
    "app.step.suspicious.3": {"en": "If anything else feels wrong, report the profile to the dating app or site.",
                              "fr": "Si autre chose vous semble anormal, signalez le profil à l'application ou "
                                    "au site de rencontre."},
    "app.step.clear.1": {"en": "No warning sign is not a guarantee: a new stolen photo or a new AI image may not "
                               "be known yet.",
                         "fr": "Aucun signe d'alerte n'est pas une garantie : une photo volée récente ou une "
                               "nouvelle image IA peut ne pas encore être connue."},
    "app.step.clear.2": {"en": "Never send money to someone you have not met in person.",
                         "fr": "N'envoyez jamais d'argent à quelqu'un que vous n'avez pas rencontré en personne."},
    "app.step.incomplete.1": {"en": "Some checks did not run, so this is not a clean result: try again, or "
                                    "another copy of the photo.",
                              "fr": "Certaines vérifications n'ont pas tourné, ce n'est donc pas un résultat "
                                    "net : réessayez, ou avec une autre copie de la photo."},
    "app.step.incomplete.2": {"en": "Never send money to someone you have not met in person.",
                              "fr": "N'envoyez jamais d'argent à quelqu'un que vous n'avez pas rencontré en "
                                    "personne."},
    "app.step.error.1": {"en": "Try another copy of the photo (a screenshot works), or a JPEG or PNG file.",
                         "fr": "Essayez une autre copie de la photo (une capture d'écran convient), ou un "
                               "fichier JPEG ou PNG."},
    # -- app: evidence cards ----------------------------------------------------------------------------
    "app.check.known_image": {"en": "Known photo", "fr": "Photo connue"},
    "app.check.known_face": {"en": "Known face", "fr": "Visage connu"},
    "app.check.ai_provenance": {"en": "AI metadata", "fr": "Métadonnées IA"},
    "app.check.ai_watermark": {"en": "AI watermark", "fr": "Filigrane IA"},
    "app.check.ai_pixels": {"en": "AI look of the pixels", "fr": "Aspect IA des pixels"},
    "app.check.gan_face_geometry": {"en": "Generated-face layout", "fr": "Disposition de visage généré"},
    "app.check.face_consistency": {"en": "Same person in every photo", "fr": "Même personne sur chaque photo"},
    "app.status.flag": {"en": "found a problem", "fr": "problème trouvé"},
    "app.status.clear": {"en": "nothing found", "fr": "rien trouvé"},
    "app.status.inconclusive": {"en": "could not tell", "fr": "impossible à dire"},
    "app.status.error": {"en": "did not run", "fr": "ne s'est pas exécutée"},
    "app.status.not_checked": {"en": "not checked", "fr": "non vérifié"},
    "app.na.no_face": {"en": "not checked: no face", "fr": "non vérifié : aucun visage"},
    "app.na.no_bank": {"en": "not checked: no bank", "fr": "non vérifié : pas de banque"},
    "app.na.size": {"en": "not checked: image size", "fr": "non vérifié : taille de l'image"},
    "app.na.not_square": {"en": "not checked: not a square portrait", "fr": "non vérifié : pas un portrait carré"},
    "app.na.too_few": {"en": "not checked: fewer than two faces", "fr": "non vérifié : moins de deux visages"},
    "app.measure.known_image": {
        "en": "How close to the bank photo: {value} of {bits} bits differ (the same picture below {flag_at})",
        "fr": "Proximité avec la photo de la banque : {value} bits sur {bits} diffèrent (même image en "
              "dessous de {flag_at})",
    },
    "app.measure.known_face": {
        "en": "Same face? Distance {value:.2f} to the closest bank face (the same person at {flag_at:.2f} or less)",
        "fr": "Même visage ? Distance {value:.2f} au visage le plus proche de la banque (même personne à "
              "{flag_at:.2f} ou moins)",
    },
    "app.measure.face_consistency": {
        "en": "Same person? Largest distance between the photos' faces {value:.2f} (different people above "
              "{flag_at:.2f})",
        "fr": "Même personne ? Plus grande distance entre les visages des photos {value:.2f} (personnes "
              "différentes au-dessus de {flag_at:.2f})",
    },
    "app.measure.ai_pixels": {
        "en": "Probability of AI generation: {value:.0%} (flags at {flag_at:.0%})",
        "fr": "Probabilité de génération par IA : {value:.0%} (signalement à partir de {flag_at:.0%})",
    },
    "app.measure.ai_watermark": {
        "en": "Watermark bits that agree: {value:.0%} (a mark from {flag_at:.0%})",
        "fr": "Bits de filigrane concordants : {value:.0%} (filigrane à partir de {flag_at:.0%})",
    },
    "app.measure.gan_face_geometry": {
        "en": "Eyes away from the generated-face layout: {value:.1%} of the width (flags at {flag_at:.1%} or "
              "less)",
        "fr": "Écart des yeux à la disposition des visages générés : {value:.1%} de la largeur (signalement à "
              "{flag_at:.1%} ou moins)",
    },
    "app.strength": {"en": "strength {pct} of 100", "fr": "force {pct} sur 100"},
    "app.details": {"en": "Details", "fr": "Détails"},
    "app.model": {"en": "model", "fr": "modèle"},
    "app.meter_note": {
        "en": "A statistical signal, not proof: detectors make mistakes on heavily edited, filtered or unusual "
              "photos. The pixel detector misses most generators it was not trained on, judges nothing under "
              "224 px, and is set never to flag a real photo it was tested on, so it rarely flags on its own: "
              "a high score without a flag is worth a closer look. StyleGAN-type faces are caught mainly when "
              "the photo is the generator's square or a centred crop of it: a face cropped off-centre, tilted "
              "or pasted into another picture is missed.",
        "fr": "Un indice statistique, pas une preuve : les détecteurs se trompent sur des photos très "
              "retouchées, filtrées ou inhabituelles. Le détecteur de pixels rate la plupart des générateurs "
              "sur lesquels il n'a pas été entraîné, ne juge rien sous 224 px, et est réglé pour ne jamais "
              "signaler une photo réelle sur laquelle il a été testé : il signale donc rarement seul, et un "
              "score élevé sans signalement mérite un examen attentif. Les visages de type StyleGAN sont "
              "surtout repérés quand la photo est le carré du générateur ou un recadrage centré : un visage "
              "recadré de travers, incliné ou collé dans une autre image échappe au détecteur.",
    },
    "app.faces_found": {"en": "{n} face(s) found", "fr": "{n} visage(s) trouvé(s)"},
    "app.found_in_bank": {"en": "Found in the bank", "fr": "Trouvé dans la banque"},
    "app.every_check": {"en": "Every check", "fr": "Toutes les vérifications"},
    "app.your_photo": {"en": "Your photo", "fr": "Votre photo"},
    "app.bank_label": {"en": "Bank: {label}", "fr": "Banque : {label}"},
    "app.same_image": {"en": "Same image as {label:q}", "fr": "Même image que {label:q}"},
    "app.same_face": {"en": "Same face as {label:q} (face {face})", "fr": "Même visage que {label:q} (visage {face})"},
    "app.close_image": {"en": "{value} of {bits} bits differ", "fr": "{value} bits sur {bits} diffèrent"},
    "app.close_face": {"en": "face distance {value:.2f}", "fr": "distance des visages {value:.2f}"},
    "app.bank_source": {"en": "Bank source: {source}", "fr": "Source dans la banque : {source}"},
    "app.no_picture": {"en": "no picture stored (imported hash)", "fr": "pas d'image stockée (empreinte importée)"},
    "app.more_matches": {"en": "and {n} more matches (see the JSON report)",
                         "fr": "et {n} autres correspondances (voir le rapport JSON)"},
    "app.across_profile": {"en": "Across the profile", "fr": "Sur l'ensemble du profil"},
    "app.photo_by_photo": {"en": "Photo by photo", "fr": "Photo par photo"},
    "app.photo_n_in_bank": {"en": "Photo {n} found in the bank", "fr": "Photo {n} trouvée dans la banque"},
    "app.no_warning": {"en": "No warning signs found.", "fr": "Aucun signe d'alerte."},
    "app.same_person_as_profile": {"en": "same person as the profile: {status:m}",
                                   "fr": "même personne que le profil : {status:m}"},
    "app.agrees": {"en": "yes", "fr": "oui"},
    "app.disagrees": {"en": "no", "fr": "non"},
    "app.undecided": {"en": "unsure", "fr": "incertain"},

    # -- app: batch and bank tabs (results; the same English as the API returns) ---------------------
    "app.batch.checked": {"en": "Checked {n} files: {counts}.", "fr": "{n} fichier(s) vérifié(s) : {counts}."},
    "app.batch.count.flagged": {"en": "{n} flagged", "fr": "{n} signalée(s)"},
    "app.batch.count.suspicious": {"en": "{n} suspicious", "fr": "{n} suspecte(s)"},
    "app.batch.count.incomplete": {"en": "{n} incomplete", "fr": "{n} incomplète(s)"},
    "app.batch.count.clear": {"en": "{n} clear", "fr": "{n} sans alerte"},
    "app.batch.count.error": {"en": "{n} error", "fr": "{n} erreur(s)"},
    "app.batch.nothing": {"en": "nothing", "fr": "rien"},
    "app.batch.skipped": {"en": "Skipped {n} that are not images ({examples}).",
                          "fr": "{n} ignoré(s) car ce ne sont pas des images ({examples})."},
    "app.batch.progress": {"en": "checked {n} of {total}", "fr": "{n} sur {total} vérifiées"},
    "app.bank.summary": {"en": "{entries} entries, {labels} labels ({kinds}).",
                         "fr": "{entries} entrée(s), {labels} étiquette(s) ({kinds})."},
    "app.bank.empty": {"en": "empty", "fr": "vide"},
    "app.bank.added": {"en": "Added {added} to the bank as '{label}' ({kind}); {same} were already there.",
                       "fr": "{added} ajoutée(s) à la banque sous « {label} » ({kind}) ; {same} y étaient déjà."},
    "app.bank.skipped": {"en": "Skipped: {why}", "fr": "Ignorées : {why}"},
    "app.bank.removed": {"en": "Removed {n} of {total} entries.", "fr": "{n} entrée(s) supprimée(s) sur {total}."},
    "app.bank.imported": {"en": "Imported {name}: {what}.", "fr": "{name} importé : {what}."},
    "app.bank.refused": {"en": "Refused: {why}", "fr": "Refusées : {why}"},

    # -- app: page text (Gradio i18n keys: "ui_..."; the language switch relabels from the same ids) -------
    "ui.intro": {
        "en": "# imgcheck: is this profile photo real?\nUpload a photo from a dating profile. imgcheck looks for "
              "**stolen or known photos**, **known faces**, **profiles mixing different people** and **signs of "
              "AI generation**, and shows you the evidence.\n*Your photos are checked on this server and deleted "
              "as soon as the check is done; nothing is sent elsewhere.*",
        "fr": "# imgcheck : cette photo de profil est-elle authentique ?\nEnvoyez une photo d'un profil de "
              "rencontre. imgcheck recherche les **photos volées ou connues**, les **visages connus**, les "
              "**profils qui mélangent plusieurs personnes** et les **signes de génération par IA**, et vous "
              "montre les preuves.\n*Vos photos sont vérifiées sur ce serveur et supprimées dès la fin de la "
              "vérification ; rien n'est envoyé ailleurs.*",
    },
    "ui.language": {"en": "Language", "fr": "Langue"},
    "ui.tab_check": {"en": "Check a photo", "fr": "Vérifier une photo"},
    "ui.tab_video": {"en": "Check a video", "fr": "Vérifier une vidéo"},
    "ui.tab_profile": {"en": "Check a profile", "fr": "Vérifier un profil"},
    "ui.tab_batch": {"en": "Batch scan", "fr": "Analyse par lot"},
    "ui.tab_bank": {"en": "Bank", "fr": "Banque"},
    "ui.photo": {"en": "Photo", "fr": "Photo"},
    "ui.examples": {"en": "Try an example", "fr": "Essayez un exemple"},
    "ui.example_stolen": {"en": "A stolen, edited copy of a known photo",
                          "fr": "Une copie volée et retouchée d'une photo connue"},
    "ui.example_face": {"en": "A well-known face", "fr": "Un visage bien connu"},
    "ui.example_plain": {"en": "An ordinary photo", "fr": "Une photo ordinaire"},
    "ui.report_json": {"en": "Full report (JSON)", "fr": "Rapport complet (JSON)"},
    "ui.profile_json": {"en": "Full profile report (JSON)", "fr": "Rapport complet du profil (JSON)"},
    "ui.video_clip": {"en": "Video clip (MP4, MOV, WebM, MKV, AVI, animated GIF/WebP)",
                      "fr": "Vidéo (MP4, MOV, WebM, MKV, AVI, GIF/WebP animé)"},
    "ui.profile_photos": {"en": "All photos of one profile", "fr": "Toutes les photos d'un profil"},
    "ui.profile_run": {"en": "Check the profile", "fr": "Vérifier le profil"},
    "ui.profile_example": {"en": "Try an example profile (all three example photos)",
                           "fr": "Essayez un profil d'exemple (les trois photos d'exemple)"},
    "ui.batch_files": {"en": "Photos or zip files", "fr": "Photos ou fichiers zip"},
    "ui.batch_run": {"en": "Scan", "fr": "Analyser"},
    "ui.batch_results": {"en": "Results (click a column header to sort)",
                         "fr": "Résultats (cliquez sur un en-tête de colonne pour trier)"},
    "ui.batch_downloads": {"en": "Download the reports", "fr": "Télécharger les rapports"},
    "ui.bank_entries": {"en": "Bank entries", "fr": "Entrées de la banque"},
    "ui.refresh": {"en": "Refresh", "fr": "Actualiser"},
    "ui.batch_intro": {
        "en": "Check many photos at once: pick image files or a zip file. Reports come as JSON Lines, CSV and "
              "HTML. For very large jobs use `imgcheck scan`.",
        "fr": "Vérifiez beaucoup de photos d'un coup : choisissez des images ou un fichier zip. Les rapports "
              "sont en JSON Lines, CSV et HTML. Pour de très gros lots, utilisez `imgcheck scan`.",
    },
    "ui.bank_example_note": {
        "en": "This is the bundled example bank; it cannot be edited here. Start "
              "`imgcheck serve --bank my-bank.sqlite` to keep your own.",
        "fr": "C'est la banque d'exemple fournie ; elle ne se modifie pas ici. Lancez "
              "`imgcheck serve --bank ma-banque.sqlite` pour tenir la vôtre.",
    },
    "ui.bank_add_title": {"en": "Add photos", "fr": "Ajouter des photos"},
    "ui.bank_add_files": {"en": "Photos of one person or one scam", "fr": "Photos d'une personne ou d'une arnaque"},
    "ui.bank_label": {"en": "Label (who or what they show)", "fr": "Étiquette (qui ou quoi elles montrent)"},
    "ui.bank_kind": {"en": "Kind", "fr": "Type"},
    "ui.bank_add_run": {"en": "Add to the bank", "fr": "Ajouter à la banque"},
    "ui.bank_remove_title": {"en": "Remove entries", "fr": "Supprimer des entrées"},
    "ui.bank_ids": {"en": "Entry ids (e.g. 3, 5, 8)", "fr": "Numéros d'entrée (par ex. 3, 5, 8)"},
    "ui.bank_remove_run": {"en": "Remove", "fr": "Supprimer"},
    "ui.bank_share": {"en": "Share hash lists (ThreatExchange / HMA)",
                      "fr": "Partager des listes d'empreintes (ThreatExchange / HMA)"},
    "ui.bank_format": {"en": "Format", "fr": "Format"},
    "ui.bank_export_run": {"en": "Export PDQ hashes", "fr": "Exporter les empreintes PDQ"},
    "ui.bank_hash_list": {"en": "Hash list", "fr": "Liste d'empreintes"},
    "ui.bank_import_file": {"en": "Import a hash list", "fr": "Importer une liste d'empreintes"},
    "ui.bank_import_kind": {"en": "Kind for rows without one", "fr": "Type des lignes qui n'en ont pas"},
    "ui.bank_import_run": {"en": "Import", "fr": "Importer"},
    "app.waiting.photo": {"en": "Upload a photo, paste one, or pick an example.",
                          "fr": "Envoyez une photo, collez-en une, ou choisissez un exemple."},
    "app.waiting.profile": {"en": "Add two or more photos of the same profile.",
                            "fr": "Ajoutez au moins deux photos du même profil."},
}
