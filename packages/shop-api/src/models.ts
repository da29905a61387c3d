import { randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { HttpError } from '@shopfloor/service-kit';

export interface ModelStoreOptions {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** A file name for the object key: no paths, no surprises in URLs. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function modelKey(name: unknown, id: string = randomUUID()): string {
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw new HttpError(400, 'query parameter "name" must be a file name of 1-128 letters, digits, ".", "_" or "-"');
  }
  return `models/${id}/${name}`;
}

/** Customers' 3D model files in an S3 bucket (MinIO in the local stack). */
export class ModelStore {
  private readonly client: S3Client;
  private bucketReady?: Promise<void>;

  constructor(private readonly options: ModelStoreOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      maxAttempts: 2,
    });
  }

  get bucket(): string {
    return this.options.bucket;
  }

  /** Creates the bucket on first use; a failure is retried on the next upload. */
  private ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      } catch (err) {
        if (!(err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404)) throw err;
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
      }
    })().catch((err) => {
      this.bucketReady = undefined;
      throw err;
    });
    return this.bucketReady;
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    try {
      await this.ensureBucket();
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(503, 'model storage is unavailable; try again later');
    }
  }

  close(): void {
    this.client.destroy();
  }
}
