/**
 * The demo data of supabase/seed.sql. LOCAL ONLY: these values are public, so never seed them into a hosted project.
 */
export const DEMO_API_KEY = "tally_local-demo-key-NOT-SECRET-do-not-deploy";
export const DEMO_ORG_ID = "7c6b2a10-4d3e-4f5a-9b8c-1d2e3f4a5b6c";
export const DEMO_APP_ID = "com.demo.app";
export const DEMO_USER_EMAIL = "demo@tally.local";
export const DEMO_INVITEE_EMAIL = "invitee@tally.local";
