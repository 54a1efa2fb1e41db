// The DPO console in a real browser: Debian's chromium driven by
// playwright-core. Run by run-console-e2e, which sets up the gateways and
// passes their addresses in the environment.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run this through run-console-e2e)`);
  return value;
};
const consoleUrl = env('CONSOLE_URL');
const regionConsoleUrl = env('REGION_CONSOLE_URL');
const subjectId = env('SUBJECT_LOCAL_ID');
const surveyBatch = env('SURVEY_BATCH_ID');
const artifacts = env('ARTIFACTS_DIR');
const downloads = env('DOWNLOAD_DIR');
const token = (file) => readFileSync(env(file), 'utf8').trim();
mkdirSync(artifacts, { recursive: true });
mkdirSync(downloads, { recursive: true });

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  // Chromium refuses to start its sandbox as root, which CI containers are;
  // the pages it opens here are our own, on 127.0.0.1.
  args: process.getuid() === 0 ? ['--no-sandbox'] : [],
});
const context = await browser.newContext({ acceptDownloads: true, locale: 'fr-FR' });

// Nothing may leave 127.0.0.1: any other request is aborted and fails the test.
const foreignRequests = [];
const requestedUrls = [];
await context.route('**/*', (route) => {
  const url = new URL(route.request().url());
  requestedUrls.push(route.request().url());
  if (url.hostname === '127.0.0.1') return route.continue();
  foreignRequests.push(url.href);
  return route.abort();
});

const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
const statusText = (page) => page.locator('#statut').textContent();

async function logIn(page, url, tokenFile) {
  await page.goto(`${url}/`);
  assert.equal(new URL(page.url()).pathname, '/login', 'an unauthenticated visit goes to the login form');
  await page.getByLabel("Jeton d'accès").fill(token(tokenFile));
  await Promise.all([page.waitForURL(`${url}/`), page.getByRole('button', { name: 'Se connecter' }).click()]);
}

async function step(name, body) {
  process.stdout.write(`  ${name} ... `);
  await body();
  process.stdout.write('ok\n');
}

const page = await context.newPage();
try {
  await step('a wrong token is refused', async () => {
    await page.goto(`${consoleUrl}/login`);
    await page.getByLabel("Jeton d'accès").fill('0'.repeat(64));
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('alert').filter({ hasText: 'Jeton incorrect' }).waitFor();
    await shot(page, '01-connexion-refusee');
  });

  await step('login with the token sets an HttpOnly, SameSite=Strict session cookie', async () => {
    await logIn(page, consoleUrl, 'CONSOLE_TOKEN_FILE');
    const [session] = await context.cookies(consoleUrl);
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    await page.locator('#table-transferts tbody tr').first().waitFor();
    await shot(page, '02-transferts');
  });

  await step('keyboard: the first Tab reaches the first control, the skip link', async () => {
    await page.reload();
    await page.locator('#table-transferts tbody tr').first().waitFor();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement.textContent.trim());
    assert.equal(focused, 'Aller au contenu');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const next = await page.evaluate(() => document.activeElement.textContent.trim());
    assert.equal(next, 'Transferts', 'the view links follow, in order');
  });

  await step('filtering the transfers by purpose', async () => {
    await page.getByLabel('Finalité').selectOption('insertion-outcome');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.waitForFunction(() => document.querySelector('#transferts-total').textContent !== '' &&
      [...document.querySelectorAll('#table-transferts tbody tr td:nth-child(4)')].every((td) => td.textContent === 'insertion-outcome'));
    const purposes = await page.locator('#table-transferts tbody tr td:nth-child(4)').allTextContents();
    assert.ok(purposes.length > 0, 'some insertion-outcome entries');
    assert.ok(purposes.every((p) => p === 'insertion-outcome'), purposes.join(','));
    await shot(page, '03-transferts-filtres');
  });

  await step('the CSV download holds the filtered entries', async () => {
    await page.getByLabel('Finalité').selectOption('region-survey-contact');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('#table-transferts tbody tr td:nth-child(4)')]
      .every((td) => td.textContent === 'region-survey-contact'));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Télécharger CSV' }).click()]);
    const file = path.join(downloads, download.suggestedFilename());
    await download.saveAs(file);
    const lines = readFileSync(file, 'utf8').trim().split('\r\n');
    assert.match(lines[0], /^index,time,actor,operation,purpose,/);
    assert.ok(lines.length > 1, 'some rows');
    assert.ok(lines.slice(1).every((l) => l.split(',')[4] === 'region-survey-contact'), 'only the filtered purpose');
    assert.ok(lines.some((l) => l.includes(surveyBatch)), 'the survey batch is listed');
  });

  await step('a batch opens with inclusion proofs that verify', async () => {
    await page.locator(`a[href="#lot-${surveyBatch}"]`).first().click();
    await page.locator('#lot-preuves table').waitFor();
    const verdicts = await page.locator('#lot-preuves tbody td:last-child').allTextContents();
    assert.ok(verdicts.length > 0);
    assert.ok(verdicts.every((v) => v === 'Preuve vérifiée'), verdicts.join(','));
    assert.match(await page.locator('#lot-etat').textContent(), /accusé de réception reçu/);
    await shot(page, '04-lot');
  });

  await step('a subject search finds the batches that carried the trainee', async () => {
    await page.getByRole('link', { name: "Recherche d'une personne" }).click();
    await page.getByLabel("Type d'identifiant").selectOption('local_id');
    await page.getByLabel('Identifiant', { exact: true }).fill(subjectId);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.locator(`#recherche-resultat a[href="#lot-${surveyBatch}"]`).waitFor();
    assert.match(await statusText(page), /Personne trouvée/);
    assert.ok(!(await page.locator('#recherche-resultat').textContent()).includes(subjectId), 'the id is not echoed');
    await shot(page, '05-recherche');
  });

  await step('verification, register of processing and objections', async () => {
    await page.getByRole('link', { name: 'Vérification' }).click();
    await page.getByText('Registre intact : tout se vérifie.').waitFor();
    await shot(page, '06-verification');
    await page.getByRole('link', { name: 'Registre des traitements' }).click();
    await page.getByRole('heading', { name: 'Traitement : region-survey-contact' }).waitFor();
    await page.getByRole('heading', { name: 'Traitement : insertion-outcome' }).waitFor();
    await shot(page, '07-registre');
    await page.getByRole('link', { name: 'Oppositions' }).click();
    await page.locator('#oppositions-contenu caption').filter({ hasText: 'Oppositions enregistrées' }).waitFor();
  });

  await step("the Region's console explains that only the institution can search", async () => {
    const region = await context.newPage();
    await logIn(region, regionConsoleUrl, 'REGION_CONSOLE_TOKEN_FILE');
    await region.getByRole('link', { name: "Recherche d'une personne" }).click();
    await region.getByLabel('Identifiant', { exact: true }).fill(subjectId);
    await region.getByRole('button', { name: 'Rechercher' }).click();
    await region.locator('#recherche-resultat').filter({ hasText: "relève de l'établissement" }).waitFor();
    await shot(region, '08-region-recherche');
  });

  await step('the logout button (its form carries the CSRF token) ends the session', async () => {
    // Cookies do not tell ports apart: the Region's login replaced this console's cookie.
    await logIn(page, consoleUrl, 'CONSOLE_TOKEN_FILE');
    assert.equal((await page.request.get(`${consoleUrl}/api/overview`)).status(), 200);
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/\/login$/);
    const after = await page.request.get(`${consoleUrl}/api/overview`);
    assert.equal(after.status(), 401, 'the session still opens the API after logging out');
  });

  await step('no request left 127.0.0.1, and the id never travelled in a URL', async () => {
    assert.deepEqual(foreignRequests, []);
    assert.ok(requestedUrls.every((u) => !u.includes(subjectId)), 'the searched id appeared in a URL');
  });
} catch (error) {
  await shot(page, 'echec').catch(() => {});
  throw error;
} finally {
  await browser.close();
}
