/**
 * The MES partner the dev stack accepts and the tests call MES as (`MES_PARTNER_KEYS=id:key`);
 * its key never reaches telemetry.
 */
export const DEV_PARTNER = { id: 'acme', key: 'acme-dev-key-0001' };
