// The ES-module entry of the parity app: run with
// `node --import @shopfloor/otel-bootstrap/register app.mjs`.
import express from 'express';
import pg from 'pg';
import amqp from 'amqplib';
import { main } from './notes.cjs';

main({ express, pg, amqp }).catch(err => {
  console.error(err);
  process.exit(1);
});
