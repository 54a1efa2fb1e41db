// The DPO console's page: one view per section, each loaded from the JSON API
// (/api/*) when shown. Data is only ever inserted as text (textContent), never
// as HTML, so nothing a ledger or a peer wrote can run here.
'use strict';

const etat = { page: 1, parPage: 25, tri: 'index', ordre: 'desc', total: 0, apercu: null };

class ErreurApi extends Error {
  constructor(message, statut) { super(message); this.statut = statut; }
}

// The session's anti-forgery token, which the server wrote into the page: every
// POST carries it, and the server refuses a POST without it (403).
const jetonCsrf = document.querySelector('meta[name="csrf-token"]').content;

async function api(chemin, options = {}) {
  const entetes = { Accept: 'application/json', ...(options.headers || {}) };
  if ((options.method || 'GET') !== 'GET') entetes['X-CSRF-Token'] = jetonCsrf;
  const reponse = await fetch(chemin, { credentials: 'same-origin', ...options, headers: entetes });
  if (reponse.status === 401) {
    window.location.assign('/login');
    throw new ErreurApi('Session expirée : reconnectez-vous.', 401);
  }
  const corps = await reponse.json().catch(() => ({}));
  if (!reponse.ok) throw new ErreurApi(corps.message || `Erreur ${reponse.status}`, reponse.status);
  return corps;
}

// el('td', {className: 'nombre'}, 'texte', autreNoeud): children are text or nodes.
function el(balise, proprietes = {}, ...enfants) {
  const noeud = document.createElement(balise);
  for (const [nom, valeur] of Object.entries(proprietes)) {
    if (nom.startsWith('aria-') || nom.startsWith('data-') || nom === 'scope') noeud.setAttribute(nom, valeur);
    else noeud[nom] = valeur;
  }
  for (const enfant of enfants) {
    if (enfant === null || enfant === undefined) continue;
    noeud.append(enfant instanceof Node ? enfant : String(enfant));
  }
  return noeud;
}

function annoncer(message) { document.getElementById('statut').textContent = message; }

function tableau(legende, colonnes, lignes) {
  const entete = el('tr', {}, ...colonnes.map((c) => el('th', { scope: 'col' }, c)));
  const corps = lignes.map((cellules) => el('tr', {}, ...cellules.map((c) => (c instanceof Node && c.tagName === 'TD' ? c : el('td', {}, c)))));
  return el('table', {}, el('caption', {}, legende), el('thead', {}, entete), el('tbody', {}, ...corps));
}

function fiche(paires) {
  const dl = el('dl', { className: 'fiche' });
  for (const [terme, valeur] of paires) dl.append(el('dt', {}, terme), el('dd', {}, valeur === '' ? '—' : valeur));
  return dl;
}

function lienLot(id) { return id ? el('a', { href: `#lot-${id}` }, id.slice(0, 12) + '…') : '—'; }
function verdict(ok, oui, non) { return el('span', { className: ok ? 'succes' : 'echec' }, ok ? oui : non); }
function remplacer(id, ...noeuds) { document.getElementById(id).replaceChildren(...noeuds); }

// --- Transferts

function filtresCourants() {
  const parametres = new URLSearchParams();
  for (const champ of document.getElementById('filtres').elements) {
    if (champ.name && champ.value) parametres.set(champ.name, champ.value);
  }
  parametres.set('sort', etat.tri);
  parametres.set('order', etat.ordre);
  return parametres;
}

function remplirChoix(id, valeurs) {
  const select = document.getElementById(id);
  for (const v of valeurs) select.append(el('option', { value: v }, v));
}

async function chargerTransferts() {
  const parametres = filtresCourants();
  document.getElementById('csv').href = `/api/entries.csv?${parametres}`;
  parametres.set('page', etat.page);
  parametres.set('per_page', etat.parPage);
  const reponse = await api(`/api/entries?${parametres}`);
  etat.total = reponse.total;
  const lignes = reponse.entries.map((e) => [
    el('td', { className: 'nombre' }, e.index), e.time, e.operation, e.purpose || '—', e.counterpart || '—',
    el('td', { className: 'nombre' }, e.record_count), lienLot(e.batch_id), e.outcome || '—',
  ]);
  document.querySelector('#table-transferts tbody').replaceChildren(
    ...lignes.map((cellules) => el('tr', {}, ...cellules.map((c) => (c instanceof Node && c.tagName === 'TD' ? c : el('td', {}, c))))));
  const pages = Math.max(1, Math.ceil(reponse.total / etat.parPage));
  document.getElementById('transferts-total').textContent = `(${reponse.total} au total)`;
  document.getElementById('page-info').textContent = `Page ${etat.page} sur ${pages}`;
  document.getElementById('page-precedente').disabled = etat.page <= 1;
  document.getElementById('page-suivante').disabled = etat.page >= pages;
  for (const th of document.querySelectorAll('#table-transferts th[data-colonne]')) {
    if (th.dataset.colonne === etat.tri) th.setAttribute('aria-sort', etat.ordre === 'asc' ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
  annoncer(`${reponse.total} entrée(s) correspondent aux filtres ; page ${etat.page} sur ${pages}.`);
}

function brancherTransferts() {
  const formulaire = document.getElementById('filtres');
  formulaire.addEventListener('submit', (evenement) => { evenement.preventDefault(); etat.page = 1; afficher(chargerTransferts); });
  formulaire.addEventListener('reset', () => { etat.page = 1; setTimeout(() => afficher(chargerTransferts)); });
  for (const bouton of document.querySelectorAll('#table-transferts button[data-tri]')) {
    bouton.addEventListener('click', () => {
      const colonne = bouton.dataset.tri;
      etat.ordre = etat.tri === colonne && etat.ordre === 'asc' ? 'desc' : 'asc';
      etat.tri = colonne;
      etat.page = 1;
      afficher(chargerTransferts);
    });
  }
  document.getElementById('page-precedente').addEventListener('click', () => { etat.page -= 1; afficher(chargerTransferts); });
  document.getElementById('page-suivante').addEventListener('click', () => { etat.page += 1; afficher(chargerTransferts); });
}

// --- Lot

function etatDuLot(lot) {
  const blocs = [];
  if (lot.outbox) {
    const o = lot.outbox;
    blocs.push(el('h3', {}, "File d'envoi (établissement)"), fiche([
      ['Destinataire', o.recipient], ['Finalité', o.purpose], ['Tâche', o.job], ['Enregistrements', String(o.record_count)],
      ['Scellé le', o.created_at], ['État', o.status === 'receipted' ? 'accusé de réception reçu' : 'en attente'],
      ['Tentatives', String(o.attempts)], ['Dernière erreur', o.last_error], ['Accusé reçu le', o.receipted_at],
    ]));
  }
  if (lot.inbox) {
    const i = lot.inbox;
    blocs.push(el('h3', {}, 'Réception (Région)'), fiche([
      ['Expéditeur', i.sender], ['Finalité', i.purpose], ['Enregistrements', String(i.record_count)], ['Reçu le', i.received_at],
      ['État', i.status === 'delivered' ? 'remis aux fichiers d’enquête' : 'stocké, en attente de remise'],
      ['Tentatives de remise', String(i.sink_attempts)], ['Dernière erreur', i.sink_error], ['Remis le', i.delivered_at],
    ]));
  }
  if (blocs.length === 0) blocs.push(el('p', {}, "Ce lot n'est ni dans la file d'envoi ni dans la réception de cette passerelle."));
  return blocs;
}

async function chargerLot(id) {
  document.getElementById('lot-id').textContent = id;
  const lot = await api(`/api/batches/${encodeURIComponent(id)}`);
  remplacer('lot-etat', ...etatDuLot(lot));
  const lignes = lot.entries.map((p) => [
    el('td', { className: 'nombre' }, p.entry.index), p.entry.time, p.entry.operation, p.entry.counterpart || '—',
    `${p.checkpoint.origin}, ${p.checkpoint.tree_size} entrées, ${p.checkpoint.time}`,
    el('td', { className: 'empreinte' }, p.checkpoint.root_hash),
    el('td', {}, verdict(p.verifies, 'Preuve vérifiée', 'La preuve NE se vérifie PAS')),
  ]);
  remplacer('lot-preuves', tableau("Entrées du registre concernant ce lot, avec leur preuve d'inclusion",
    ['N°', 'Date (UTC)', 'Opération', 'Partie concernée', 'Point de contrôle signé', 'Racine de Merkle', 'Preuve'], lignes));
  const toutes = lot.entries.every((p) => p.verifies);
  annoncer(toutes ? `Lot ${id} : ${lot.entries.length} preuve(s) d'inclusion vérifiée(s).`
    : `Lot ${id} : au moins une preuve d'inclusion ne se vérifie pas.`);
}

// --- Vérification

function tableauPointsDeControle(legende, points) {
  return tableau(legende, ['Partie', "Taille de l'arbre", 'Racine de Merkle', 'Date (UTC)', 'Clé'],
    points.map((c) => [c.origin, el('td', { className: 'nombre' }, c.tree_size), el('td', { className: 'empreinte' }, c.root_hash), c.time, c.key_id]));
}

async function chargerVerification() {
  remplacer('verification-resultat', el('p', {}, 'Vérification en cours…'));
  const r = await api('/api/verification');
  const blocs = [
    el('p', {}, verdict(r.intact, 'Registre intact : tout se vérifie.', `${r.findings.length} anomalie(s) trouvée(s).`)),
    fiche([['Entrées du registre', String(r.ledger_entries)], ['Racine de Merkle recalculée', r.ledger_root],
      ['Points de contrôle propres vérifiés', String(r.own_checkpoints)], ['Points de contrôle des parties vérifiés', String(r.peer_checkpoints)],
      ['Lots vérifiés', String(r.batches_checked)], ['Accusés de réception vérifiés', String(r.receipts_checked)]]),
  ];
  if (r.findings.length > 0) {
    blocs.push(tableau('Anomalies, dans l’ordre où elles ont été trouvées (la première est à examiner d’abord)',
      ['Élément', 'Problème'], r.findings.map((f) => [f.what, f.problem])));
  }
  blocs.push(tableauPointsDeControle('Derniers points de contrôle signés par cette passerelle', r.recent_checkpoints));
  blocs.push(tableauPointsDeControle('Points de contrôle des autres parties détenus (reçus avec les accusés de réception)', r.counterpart_checkpoints));
  remplacer('verification-resultat', ...blocs);
  annoncer(r.intact ? 'Vérification terminée : registre intact.' : 'Vérification terminée : des anomalies ont été trouvées.');
}

// --- Registre des traitements

function finaliteDuRegistre(f) {
  return el('article', {}, el('h3', {}, `Traitement : ${f.id}`), fiche([
    ['Finalité', f.description], ['Base légale', f.legal_basis], ['Responsable', `${f.controller.name} (${f.controller.contact})`],
    ['Délégué à la protection des données', f.dpo_contact], ['Personnes concernées', f.data_subjects],
    ['Destinataires', f.recipients.join(' ; ')], ['Durée de conservation', `${f.retention_days} jours`],
    ['Domaine de pseudonymes', f.pseudonym_domain], ['Mesures de sécurité', f.security_measures.join(' ; ')],
    ['Échanges', f.peers.map((p) => `${p.party} (${p.direction === 'sends to us' ? 'nous envoie' : 'nous lui envoyons'}${p.job ? `, tâche ${p.job}` : ''})`).join(' ; ')],
  ]), tableau(`Données transmises pour ${f.id}`, ['Champ', 'Classe', 'Description'],
    f.fields.map((c) => [c.name, c.class, c.description])));
}

async function chargerRegistre() {
  const r = await api('/api/register');
  remplacer('registre-contenu',
    el('p', {}, `Registre des activités de traitement (RGPD, art. 30) de ${r.controller.name} (${r.controller.party}), généré le ${r.generated_at}.`),
    ...r.purposes.map(finaliteDuRegistre));
  annoncer(`Registre des traitements : ${r.purposes.length} traitement(s).`);
}

// --- Recherche d'une personne

async function rechercher(evenement) {
  evenement.preventDefault();
  const type = document.getElementById('recherche-type').value;
  const valeur = document.getElementById('recherche-valeur').value;
  remplacer('recherche-resultat');
  try {
    const r = await api('/api/subject', {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ [type]: valeur }),
    });
    remplacer('recherche-resultat',
      tableau(`Lots qui ont transporté les données de la personne (${r.batches.length})`,
        ['Lot', 'Finalité', 'Destinataire', 'Scellé le', 'État', 'Accusé reçu le'],
        r.batches.map((b) => [lienLot(b.batch_id), b.purpose, b.recipient, b.created_at,
          b.status === 'receipted' ? 'accusé de réception reçu' : 'en attente', b.receipted_at || '—'])),
      tableau('Pseudonymes de la personne, par domaine et époque de clé',
        ['Domaine', 'Finalités', 'Époque de clé', 'Pseudonyme', 'Tâches'],
        r.pseudonyms.map((p) => [p.domain, p.purposes.join(', '), el('td', { className: 'nombre' }, p.epoch),
          el('td', { className: 'empreinte' }, p.pseudonym), p.jobs.join(', ')])));
    annoncer(`Personne trouvée : ${r.batches.length} lot(s) l'ont transportée.`);
  } catch (erreur) {
    remplacer('recherche-resultat', el('p', { className: 'erreur' }, erreur.message));
    annoncer(erreur.message);
  }
}

// --- Oppositions

async function chargerOppositions() {
  try {
    const r = await api('/api/objections');
    remplacer('oppositions-contenu', tableau(`Oppositions enregistrées (${r.objections.length})`,
      ['Finalité', 'Début du pseudonyme', 'Enregistrée le'],
      r.objections.map((o) => [o.purpose, el('td', { className: 'empreinte' }, `${o.pseudonym_prefix}…`), o.created_at])));
    annoncer(`${r.objections.length} opposition(s) enregistrée(s).`);
  } catch (erreur) {
    if (erreur.statut !== 409) throw erreur;
    remplacer('oppositions-contenu', el('p', {}, erreur.message));
    annoncer(erreur.message);
  }
}

// --- Navigation: the hash names the view (#transferts, #lot-<id>, ...).

async function afficher(chargement) {
  try {
    await chargement();
  } catch (erreur) {
    annoncer(erreur.message);
  }
}

const vues = {
  transferts: chargerTransferts,
  verification: chargerVerification,
  registre: chargerRegistre,
  recherche: async () => {},
  oppositions: chargerOppositions,
};

function montrerVue() {
  const cible = window.location.hash.slice(1) || 'transferts';
  if (cible === 'contenu') return;  // the skip link only moves the focus
  const lot = cible.startsWith('lot-') ? cible.slice(4) : null;
  const vue = lot ? 'lot' : (cible in vues ? cible : 'transferts');
  for (const section of document.querySelectorAll('section.vue')) section.hidden = section.id !== vue;
  for (const lien of document.querySelectorAll('.onglets a')) {
    if (lien.getAttribute('href') === `#${vue}`) lien.setAttribute('aria-current', 'page');
    else lien.removeAttribute('aria-current');
  }
  afficher(lot ? () => chargerLot(lot) : vues[vue]);
}

async function demarrer() {
  brancherTransferts();
  document.getElementById('verifier').addEventListener('click', () => afficher(chargerVerification));
  document.getElementById('recherche-form').addEventListener('submit', rechercher);
  window.addEventListener('hashchange', montrerVue);
  try {
    etat.apercu = await api('/api/overview');
    const a = etat.apercu;
    document.getElementById('identite').textContent =
      `${a.name} (${a.party}, ${a.role === 'region' ? 'Région' : 'établissement'}) — ${a.ledger_entries} entrées au registre`;
    remplirChoix('filtre-finalite', a.purposes);
    remplirChoix('filtre-partie', a.counterparts);
    remplirChoix('filtre-operation', a.operations);
  } catch (erreur) {
    annoncer(erreur.message);
  }
  montrerVue();
}

document.addEventListener('DOMContentLoaded', demarrer);
