/** The admin's pages, one chunk loaded on first use (see main.ts). */
export { adminPage } from './pages/admin-page.ts';
export { tuningRunPage } from './pages/admin-tuning-page.ts';
export { comparePage, versionPage, versionsPage } from './pages/admin-versions-page.ts';
