// The login page's only script: says why the previous attempt failed.
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  if (new URLSearchParams(window.location.search).get('erreur') === 'jeton') {
    document.getElementById('erreur').textContent = 'Jeton incorrect : la connexion est refusée.';
  }
  document.getElementById('token').focus();
});
