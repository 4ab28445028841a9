import type { Source } from '../../core/Source.js';
import { sourceOptionsOf } from '../../core/createSource.js';
import type { Row } from '../../formats/Format.js';
import type { ConnectorContext, ConnectorFactory } from '../ConnectorFactory.js';
import { createPostgresCdcSource } from './createPostgresCdcSource.js';
import { postgresCdcConfigFromProperties, postgresCdcPropertySpecs } from './postgresCdcProperties.js';

/**
 * The `postgres-cdc` connector: RisingWave's `connector = 'postgres-cdc'` (or the seed's
 * `upstream.source = 'postgres-cdc'` with `postgres.*` names).
 *
 * @example
 * CREATE SOURCE orders (id INT, total NUMERIC) WITH (
 *   connector = 'postgres-cdc', hostname = '127.0.0.1', port = '5432', username = 'cdc',
 *   password = 'secret', database.name = 'shop', schema.name = 'public', table.name = 'orders',
 *   slot.name = 'orders_slot', publication.name = 'orders_pub'
 * );
 */
export const postgresCdcConnector: ConnectorFactory = {
  name: 'postgres-cdc',
  connectorNames: ['postgres-cdc'],
  properties: postgresCdcPropertySpecs,
  changelog: true,
  tablesOf(properties) {
    const config = postgresCdcConfigFromProperties(properties);
    return config.tables.map((t) => `${config.schema}.${t}`);
  },
  description: 'PostgreSQL change data over logical replication (pgoutput): snapshot then stream, one split per table, LSN offsets.',
  create(context: ConnectorContext): Source<Row> {
    const config = postgresCdcConfigFromProperties(context.properties);
    return createPostgresCdcSource({
      ...config,
      ...sourceOptionsOf(context),
      ...(context.convert !== undefined ? { convert: context.convert } : {}),
      ...(context.columns !== undefined ? { declaredColumns: context.columns } : {}),
    });
  },
};
