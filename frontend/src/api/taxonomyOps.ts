// Renaming, moving and deleting tags, tag groups and territories (#24, #3).
import { graphql } from '../gql';

export const UpdateTagGroupDoc = graphql(`
  mutation UpdateTagGroup($id: ID!, $input: UpdateTagGroupInput!) {
    updateTagGroup(id: $id, input: $input) { id name exclusive position }
  }
`);

export const DeleteTagGroupDoc = graphql(`
  mutation DeleteTagGroup($id: ID!) {
    deleteTagGroup(id: $id)
  }
`);

export const UpdateTagDoc = graphql(`
  mutation UpdateTag($id: ID!, $input: UpdateTagInput!) {
    updateTag(id: $id, input: $input) { id name color group { id } }
  }
`);

export const DeleteTagDoc = graphql(`
  mutation DeleteTag($id: ID!) {
    deleteTag(id: $id)
  }
`);

export const UpdateTerritoryDoc = graphql(`
  mutation UpdateTerritory($id: ID!, $input: UpdateTerritoryInput!) {
    updateTerritory(id: $id, input: $input) { id name parent { id } }
  }
`);

export const DeleteTerritoryDoc = graphql(`
  mutation DeleteTerritory($id: ID!) {
    deleteTerritory(id: $id)
  }
`);
