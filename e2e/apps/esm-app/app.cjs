'use strict';
// The CommonJS entry of the parity app: run with
// `node --require @shopfloor/otel-bootstrap app.cjs`.
const express = require('express');
const pg = require('pg');
const amqp = require('amqplib');
const { main } = require('./notes.cjs');

main({ express, pg, amqp }).catch(err => {
  console.error(err);
  process.exit(1);
});
