// Saved views of a list, kept on the server per user (#24): see
// lib/savedViews.ts for how the leads list uses them.
import { graphql } from '../gql';

export const SavedViewsDoc = graphql(`
  query SavedViews($list: SavedViewList!) {
    savedViews(list: $list) {
      id name state shared mine updatedAt
      owner { id name }
    }
  }
`);

export const SaveViewDoc = graphql(`
  mutation SaveView($input: SaveViewInput!) {
    saveView(input: $input) {
      id name state shared mine updatedAt
      owner { id name }
    }
  }
`);

export const UpdateSavedViewDoc = graphql(`
  mutation UpdateSavedView($id: ID!, $input: UpdateSavedViewInput!) {
    updateSavedView(id: $id, input: $input) {
      id name state shared mine updatedAt
      owner { id name }
    }
  }
`);

export const DeleteSavedViewDoc = graphql(`
  mutation DeleteSavedView($id: ID!) {
    deleteSavedView(id: $id)
  }
`);
