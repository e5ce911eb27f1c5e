// The WeCom chat sidebar's operations (pages/WeComSidebarPage.tsx).
import { graphql } from '../gql';

export const SidebarLeadFragment = graphql(`
  fragment SidebarLead on Lead {
    id name phone company score tier lastFollowUpAt
    owner { id name }
    stage { id name kind color pipeline { id } }
    tags { id name color }
  }
`);

export const WeComCustomerDoc = graphql(`
  query WeComCustomer($externalUserID: String!) {
    weComCustomer(externalUserID: $externalUserID) {
      externalUserID reason mine
      lead { ...SidebarLead }
    }
  }
`);

export const AddWeComCustomerLeadDoc = graphql(`
  mutation AddWeComCustomerLead($externalUserID: String!) {
    addWeComCustomerLead(externalUserID: $externalUserID) {
      externalUserID reason mine
      lead { ...SidebarLead }
    }
  }
`);

export const WeComJsSdkConfigDoc = graphql(`
  query WeComJsSdkConfig($url: String!) {
    weComJsSdkConfig(url: $url) { corpID agentID timestamp nonceStr signature agentSignature }
  }
`);
