// API keys (settings → API 密钥): the list, creating one (its key is shown
// once) and revoking one.
import { graphql } from '../gql';

export const APIKeysDoc = graphql(`
  query APIKeys {
    apiKeys { id name prefix roles createdAt lastUsedAt revokedAt expiresAt expired allowedIPs createdBy { id name } }
  }
`);

export const CreateAPIKeyDoc = graphql(`
  mutation CreateAPIKey($input: CreateAPIKeyInput!) {
    createAPIKey(input: $input) { key apiKey { id name prefix roles createdAt expiresAt allowedIPs } }
  }
`);

export const RevokeAPIKeyDoc = graphql(`
  mutation RevokeAPIKey($id: ID!) {
    revokeAPIKey(id: $id) { id revokedAt }
  }
`);
