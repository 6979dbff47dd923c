"""The web dashboard: sign-in, sites and settings, the site dashboard, shared views and CSV export."""
